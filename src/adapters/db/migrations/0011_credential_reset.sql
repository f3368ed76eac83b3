-- An administrator's password or second-factor reset ends the user's open sessions (issue 5): a new end reason.
ALTER TABLE staff_session DROP CONSTRAINT staff_session_end_reason_check;
ALTER TABLE staff_session ADD CONSTRAINT staff_session_end_reason_check
  CHECK (end_reason IN ('signed-out', 'idle', 'expired', 'deactivated', 'credentials-reset'));
