/** Messaging channels. `text` is rich text: MMS, or RCS with SMS fallback (PRODUCT.md "Channels and carriers"). */
export const CHANNELS = ['sms', 'text', 'whatsapp'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Message categories; each permission is scoped to one (PRODUCT.md safeguard 3). */
export const CATEGORIES = ['clinical', 'billing', 'administrative'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Largest body accepted: ten concatenated SMS segments of 160 GSM-7 characters. */
export const MAX_BODY_LENGTH = 1600;

/**
 * WhatsApp's customer service window: free text may be sent only within 24 hours of the patient's last message;
 * outside it only approved templates (reference §3.2).
 */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60_000;
