import { DomainError } from '../core/errors.ts';

/**
 * The widest period one query or report may cover: six years, the HIPAA documentation retention period
 * (45 CFR §164.316(b)(2)(i)) — as far back as a regulator can ask for records we must keep.
 */
export const MAX_RANGE_DAYS = 6 * 366;

const DAY_MS = 24 * 3_600_000;

/**
 * The date-range policy of the regulator's query and the evidence report: `from` strictly before `to` (`to` is
 * exclusive), and at most MAX_RANGE_DAYS between them. An open end is `now` for `to`; an open start is allowed only
 * where the result is paged (the list), never in a report.
 * @param range - the period asked for
 * @param now - the current time (an open `to`)
 * @param requireBounds - whether both ends must be given (the report)
 * @throws DATE_RANGE_INVALID naming the rule broken (never the dates)
 */
export function checkDateRange(range: { readonly from?: Date | undefined; readonly to?: Date | undefined }, now: Date, requireBounds: boolean): void {
  if (requireBounds && (range.from === undefined || range.to === undefined)) {
    throw new DomainError('DATE_RANGE_INVALID', 'A report needs both from and to.');
  }
  if (range.from === undefined) return;
  const to = range.to ?? now;
  if (range.from.getTime() >= to.getTime()) throw new DomainError('DATE_RANGE_INVALID', 'from must be before to (to is exclusive).');
  if (to.getTime() - range.from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new DomainError('DATE_RANGE_INVALID', `The range may cover at most ${String(MAX_RANGE_DAYS)} days (six years); split it into several reports.`);
  }
}
