import { z } from 'zod';
import { CONSENT_SOURCES, CONSENT_STATUSES, PURPOSES } from '../../../core/consent/consent.ts';
import { CATEGORIES, CHANNELS, MAX_BODY_LENGTH } from '../../../core/messaging/channel.ts';

/** Shared request/response schemas. Objects are strict: an unknown field is a 400, not silently dropped. */
export const Uuid = z.uuid({ message: 'must be a UUID' });
export const IdParams = z.object({ id: Uuid }).strict();
export const Channel = z.enum(CHANNELS);
export const Category = z.enum(CATEGORIES);
export const Purpose = z.enum(PURPOSES);
export const ConsentSource = z.enum(CONSENT_SOURCES);
export const ConsentStatus = z.enum(CONSENT_STATUSES);
export const MessageBody = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_BODY_LENGTH, `must be at most ${MAX_BODY_LENGTH} characters`)
  .refine((s) => s.trim().length > 0, 'must not be blank');
