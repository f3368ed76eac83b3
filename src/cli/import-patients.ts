import { Command } from 'commander';
import type { loadConfig } from '../config.ts';

/** `wardline patients import FILE.csv` (implemented in its own module). */
export function importPatientsCommand(_config: () => ReturnType<typeof loadConfig>): Command {
  return new Command('patients');
}
