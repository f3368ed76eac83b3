/** One line of `wardline carriers check`: what was verified against the carrier, read-only. */
export interface CarrierCheckItem {
  /** What was checked, e.g. `account`, `messaging service`, `phone number`. */
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or what is wrong and which setting to fix. Never a secret, never PHI. */
  readonly detail: string;
}

/** A carrier adapter's read-only configuration check: no message is sent. */
export interface CarrierChecker {
  check(): Promise<readonly CarrierCheckItem[]>;
}
