export type BudgetScope = 'service' | 'caller' | 'user';

/** A refusal by a budget gate, with the HTTP answer it becomes: no model call was made. */
export abstract class BudgetError extends Error {
  abstract readonly httpStatus: 429 | 503;
  abstract readonly code: string;
  abstract body(): Record<string, unknown>;
  abstract retryAfterSeconds(now: number): number | undefined;
}

export class BudgetExceededError extends BudgetError {
  override name = 'BudgetExceededError';
  readonly httpStatus = 429;
  readonly code = 'budget_exceeded';

  constructor(
    readonly scope: BudgetScope,
    readonly budgetUsd: number,
    readonly spentUsd: number,
    readonly resetsAt: Date,
  ) {
    super(`the ${scope} budget of $${budgetUsd} per day (UTC) is spent or reserved; it resets at ${resetsAt.toISOString()}`);
  }

  body() {
    return {
      error: this.code,
      message: this.message,
      scope: this.scope,
      budget_usd: this.budgetUsd,
      spent_usd: this.spentUsd,
      resets_at: this.resetsAt.toISOString(),
    };
  }

  retryAfterSeconds(now: number) {
    return Math.max(1, Math.ceil((this.resetsAt.getTime() - now) / 1000));
  }
}

export class BudgetUnavailableError extends BudgetError {
  override name = 'BudgetUnavailableError';
  readonly httpStatus = 503;
  readonly code = 'budget_unavailable';

  constructor(cause: unknown) {
    super('the spend budget cannot be checked (shared state unreachable), so no model call is made', { cause });
  }

  body() {
    return { error: this.code, message: this.message };
  }

  retryAfterSeconds() {
    return 5;
  }
}
