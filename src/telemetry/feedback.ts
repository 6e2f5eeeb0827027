/** A user's verdict on an answer, as the feedback route accepted it. */
export interface Feedback {
  /** The same for every vote of one user on one answer: sinks update rather than add. */
  id: string;
  traceId: string;
  helpful: boolean;
  comment?: string;
  userId?: string;
  /** False when this vote replaces an earlier one. */
  first: boolean;
}
