import type { LlmCallRecord } from '../../llm/types.js';

/** The model a call is filed under: the priced model id when known, else the configured one; never free text from a response. */
export const modelLabel = (record: LlmCallRecord) => record.cost.pricedModel ?? record.request.model;
