export const queryTypes = ['definition', 'comparison', 'survey', 'how-to', 'other'] as const;
export type QueryType = (typeof queryTypes)[number];
export type Complexity = 'simple' | 'medium' | 'complex';

const typeRules: Array<[QueryType, RegExp]> = [
  ['comparison', /\b(compare|comparison|versus|vs\.?|differ(ence|s)?|better than|trade-?offs?)\b/i],
  ['how-to', /\b(how (do|does|can|to|should)|steps? to|implement|build|set up|configure)\b/i],
  ['survey', /\b(latest|advances|state of the art|overview|survey|recent|trends?|landscape)\b/i],
  ['definition', /\b(what (is|are)|define|definition|explain|meaning of)\b/i],
];

/** Rule-based, so it costs no model call and is deterministic enough to test and to use as a metric label. */
export function classifyQuery(query: string): { queryType: QueryType; complexity: Complexity } {
  const queryType = typeRules.find(([, pattern]) => pattern.test(query))?.[0] ?? 'other';
  const words = query.trim().split(/\s+/).length;
  const clauses = (query.match(/\b(and|or|while|whereas|because)\b|[,;]/gi) ?? []).length;
  let complexity: Complexity = 'medium';
  if (queryType === 'comparison' || words > 30 || clauses >= 3) complexity = 'complex';
  else if (words <= 8 && clauses === 0 && queryType !== 'survey') complexity = 'simple';
  return { queryType, complexity };
}
