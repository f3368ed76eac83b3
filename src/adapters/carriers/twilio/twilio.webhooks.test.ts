import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { reveal } from '../../../core/phi/phi.ts';
import { Secret } from '../../../secret.ts';
import {
  parseTwilioInbound,
  parseTwilioStatusCallback,
  TWIML_EMPTY,
  TwilioPayloadError,
  verifyTwilioSignature,
} from './twilio.webhooks.ts';

const AUTH_TOKEN = 'webhook_test_auth_token_12345678';
const token = new Secret(AUTH_TOKEN);
const sign = (url: string, params: Record<string, string | string[]>): string =>
  twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);

/**
 * Status callback fixtures. The first is the example in Twilio's "Track the Message Status of Outbound Messages" guide
 * ("a status callback request sent when the Message resource for an outbound SMS changes status to sent, may contain
 * the following content"), https://www.twilio.com/docs/messaging/guides/track-outbound-message-status. The others add,
 * per the same guide, `ErrorCode` (failed/undelivered), `RawDlrDoneDate` (SMS/MMS delivered or undelivered, YYMMDDhhmm)
 * and, for WhatsApp and other channels, `ChannelInstallSid`, `ChannelPrefix`, `ChannelStatusMessage`, `EventType`.
 */
const DOC_SENT = {
  AccountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  From: '+15017250604',
  MessageSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  MessageStatus: 'sent',
  SmsSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  SmsStatus: 'sent',
};
const DOC_DELIVERED = {
  ...DOC_SENT,
  MessageStatus: 'delivered',
  SmsStatus: 'delivered',
  RawDlrDoneDate: '2308240502',
  To: '+15558675310',
  ApiVersion: '2010-04-01',
};
const DOC_UNDELIVERED = {
  ...DOC_SENT,
  MessageStatus: 'undelivered',
  SmsStatus: 'undelivered',
  ErrorCode: '30003',
  RawDlrDoneDate: '2308240502',
};
const DOC_WHATSAPP_READ = {
  ...DOC_SENT,
  From: 'whatsapp:+14155238886',
  To: 'whatsapp:+15558675310',
  MessageStatus: 'read',
  SmsStatus: 'read',
  ChannelInstallSid: 'XE00000000000000000000000000000000',
  ChannelPrefix: 'whatsapp',
  ChannelToAddress: '+1555867XXXX',
};
const DOC_WHATSAPP_FAILED = {
  ...DOC_WHATSAPP_READ,
  MessageStatus: 'failed',
  SmsStatus: 'failed',
  ErrorCode: '63016',
  ChannelStatusMessage: 'Outside messaging window',
};

/**
 * Inbound fixtures. Parameter names from Twilio's "Twilio's request to your incoming message Webhook URL"
 * (https://www.twilio.com/docs/messaging/guides/webhook-request): MessageSid, SmsSid, SmsMessageSid, AccountSid,
 * MessagingServiceSid, From, To, Body, NumMedia, NumSegments, MediaUrl{N}, MediaContentType{N}, From/To City, State,
 * Zip, Country; WhatsApp adds ProfileName and WaId. Values from the Event Streams "Inbound Message Received" example
 * (https://www.twilio.com/docs/events/event-types/messaging/inbound-message). OptOutType is added by Advanced Opt-Out
 * (reference §2.5; https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
 */
const DOC_INBOUND_SMS = {
  ToCountry: 'US',
  ToState: 'FL',
  SmsMessageSid: 'SM00000000000000000000000000000001',
  NumMedia: '0',
  ToCity: 'FORT MEADE',
  FromZip: '03049',
  SmsSid: 'SM00000000000000000000000000000001',
  FromState: 'NH',
  SmsStatus: 'received',
  FromCity: 'NASHUA',
  Body: 'Ahoy!',
  FromCountry: 'US',
  To: '+12345678901',
  MessagingServiceSid: 'MG00000000000000000000000000000001',
  ToZip: '33841',
  NumSegments: '1',
  MessageSid: 'SM00000000000000000000000000000001',
  AccountSid: 'AC00000000000000000000000000000001',
  From: '+11234567890',
  ApiVersion: '2010-04-01',
};
const DOC_INBOUND_MMS = {
  ...DOC_INBOUND_SMS,
  MessageSid: 'MM00000000000000000000000000000002',
  Body: '',
  NumMedia: '1',
  MediaUrl0:
    'https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages/MM00000000000000000000000000000002/Media/ME00000000000000000000000000000001',
  MediaContentType0: 'image/jpeg',
};
const DOC_INBOUND_WHATSAPP = {
  ...DOC_INBOUND_SMS,
  MessageSid: 'SM00000000000000000000000000000003',
  From: 'whatsapp:+11234567890',
  To: 'whatsapp:+14155238886',
  Body: 'Hello',
  ProfileName: 'Ada',
  WaId: '11234567890',
};

describe('verifyTwilioSignature', () => {
  const url =
    'https://wardline.hospital.example/v1/webhooks/twilio/status?wl=2b1f6c4e-8d1a-4f5e-9a7b-3c2d1e0f9a8b';

  it('accepts a signature made by the SDK over the URL and every parameter, including unknown ones', () => {
    const params = { ...DOC_DELIVERED, SomeNewParameter: 'added without notice' };
    expect(verifyTwilioSignature(token, sign(url, params), url, params)).toBe(true);
  });

  it('accepts repeated parameters (signed as sorted key+value pairs)', () => {
    const params = { ...DOC_INBOUND_MMS, MediaUrl0: ['https://a.example/1', 'https://a.example/2'] };
    expect(verifyTwilioSignature(token, sign(url, params), url, params)).toBe(true);
  });

  it('refuses a tampered parameter, another URL, another token and a missing or empty header', () => {
    const signature = sign(url, DOC_DELIVERED);
    expect(verifyTwilioSignature(token, signature, url, { ...DOC_DELIVERED, MessageStatus: 'read' })).toBe(
      false,
    );
    expect(verifyTwilioSignature(token, signature, url, { ...DOC_DELIVERED, Extra: 'x' })).toBe(false);
    expect(verifyTwilioSignature(token, signature, `${url}&x=1`, DOC_DELIVERED)).toBe(false);
    expect(verifyTwilioSignature(token, signature, url.replace('/status', '/inbound'), DOC_DELIVERED)).toBe(
      false,
    );
    expect(
      verifyTwilioSignature(new Secret('another_token_000000000000'), signature, url, DOC_DELIVERED),
    ).toBe(false);
    expect(verifyTwilioSignature(token, undefined, url, DOC_DELIVERED)).toBe(false);
    expect(verifyTwilioSignature(token, '', url, DOC_DELIVERED)).toBe(false);
    expect(verifyTwilioSignature(token, signature, 'not a url', DOC_DELIVERED)).toBe(false);
  });

  it('accepts a signature over the URL with the default port when checked without it, and the reverse', () => {
    const withPort = 'https://wardline.hospital.example:443/v1/webhooks/twilio/status?wl=1';
    const withoutPort = 'https://wardline.hospital.example/v1/webhooks/twilio/status?wl=1';
    expect(verifyTwilioSignature(token, sign(withPort, DOC_SENT), withoutPort, DOC_SENT)).toBe(true);
    expect(verifyTwilioSignature(token, sign(withoutPort, DOC_SENT), withPort, DOC_SENT)).toBe(true);
  });
});

describe('parseTwilioStatusCallback', () => {
  it('parses the documented examples', () => {
    expect(parseTwilioStatusCallback(DOC_SENT)).toEqual({
      providerMessageId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
      status: 'sent',
      rawStatus: 'sent',
      errorCode: null,
    });
    expect(parseTwilioStatusCallback(DOC_DELIVERED)).toMatchObject({ status: 'delivered', errorCode: null });
    expect(parseTwilioStatusCallback(DOC_UNDELIVERED)).toMatchObject({
      status: 'failed',
      rawStatus: 'undelivered',
      errorCode: '30003',
    });
    expect(parseTwilioStatusCallback(DOC_WHATSAPP_READ)).toMatchObject({ status: 'read' });
    expect(parseTwilioStatusCallback(DOC_WHATSAPP_FAILED)).toMatchObject({
      status: 'failed',
      errorCode: '63016',
    });
  });

  it('maps every Twilio status: tracked changes to a status, the rest to null', () => {
    const expected: Record<string, string | null> = {
      sent: 'sent',
      delivered: 'delivered',
      read: 'read',
      undelivered: 'failed',
      failed: 'failed',
      canceled: 'failed',
      queued: null,
      accepted: null,
      scheduled: null,
      sending: null,
      partially_delivered: null,
      receiving: null,
      received: null,
    };
    for (const [status, mapped] of Object.entries(expected)) {
      expect(parseTwilioStatusCallback({ ...DOC_SENT, MessageStatus: status }).status, status).toBe(mapped);
    }
  });

  it('treats EventType=READ as a read receipt and an empty ErrorCode as none', () => {
    expect(
      parseTwilioStatusCallback({ ...DOC_WHATSAPP_READ, MessageStatus: 'delivered', EventType: 'READ' })
        .status,
    ).toBe('read');
    expect(parseTwilioStatusCallback({ ...DOC_SENT, ErrorCode: '' }).errorCode).toBeNull();
  });

  it('throws TwilioPayloadError, naming fields but never values, for a missing sid or status or an unknown status', () => {
    const { MessageSid: _sid, ...noSid } = DOC_SENT;
    const { MessageStatus: _status, ...noStatus } = DOC_SENT;
    expect(() => parseTwilioStatusCallback(noSid)).toThrow(TwilioPayloadError);
    expect(() => parseTwilioStatusCallback(noStatus)).toThrow(TwilioPayloadError);
    expect(() => parseTwilioStatusCallback({ Hello: 'world' })).toThrow(TwilioPayloadError);
    // A Message SID is SM or MM and 32 hex digits; other resources' SIDs (AC, MG …) are not messages.
    expect(() => parseTwilioStatusCallback({ ...DOC_SENT, MessageSid: `MG${'0a'.repeat(16)}` })).toThrow(
      TwilioPayloadError,
    );
    expect(parseTwilioStatusCallback({ ...DOC_SENT, MessageSid: `MM${'0a'.repeat(16)}` }).providerMessageId).toBe(
      `MM${'0a'.repeat(16)}`,
    );
    expect(() => parseTwilioStatusCallback({ ...DOC_SENT, MessageStatus: ['sent', 'read'] })).toThrow(
      TwilioPayloadError,
    );
    try {
      parseTwilioStatusCallback({
        ...DOC_SENT,
        MessageSid: '+14155550100',
        MessageStatus: 'exploded_for_+14155550100',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TwilioPayloadError);
      const text = `${String(error)} ${JSON.stringify(error)}`;
      expect(text).toContain('MessageSid');
      expect(text).not.toContain('4155550100');
      expect(text).not.toContain('exploded');
    }
  });
});

describe('parseTwilioInbound', () => {
  it('parses an SMS', () => {
    const inbound = parseTwilioInbound(DOC_INBOUND_SMS);
    expect(inbound).toMatchObject({
      channel: 'sms',
      providerMessageId: 'SM00000000000000000000000000000001',
      optOutType: null,
      mediaCount: 0,
    });
    expect(reveal(inbound.from)).toBe('+11234567890');
    expect(reveal(inbound.body)).toBe('Ahoy!');
    expect(JSON.stringify(inbound)).not.toContain('1234567890');
  });

  it('parses an MMS as text, with its media count', () => {
    const inbound = parseTwilioInbound(DOC_INBOUND_MMS);
    expect(inbound).toMatchObject({
      channel: 'text',
      mediaCount: 1,
      providerMessageId: 'MM00000000000000000000000000000002',
    });
    expect(reveal(inbound.body)).toBe('');
  });

  it('parses WhatsApp (ProfileName and WaId ignored) and strips the channel prefix; rcs: is text', () => {
    const whatsapp = parseTwilioInbound(DOC_INBOUND_WHATSAPP);
    expect(whatsapp.channel).toBe('whatsapp');
    expect(reveal(whatsapp.from)).toBe('+11234567890');
    const rcs = parseTwilioInbound({ ...DOC_INBOUND_SMS, From: 'rcs:+11234567890' });
    expect(rcs.channel).toBe('text');
    expect(reveal(rcs.from)).toBe('+11234567890');
  });

  it('passes Advanced Opt-Out’s OptOutType through (STOP, START, HELP), anything else as null', () => {
    expect(parseTwilioInbound({ ...DOC_INBOUND_SMS, Body: 'Stop', OptOutType: 'STOP' }).optOutType).toBe(
      'STOP',
    );
    expect(parseTwilioInbound({ ...DOC_INBOUND_SMS, Body: 'UNSTOP', OptOutType: 'START' }).optOutType).toBe(
      'START',
    );
    expect(parseTwilioInbound({ ...DOC_INBOUND_SMS, Body: 'info', OptOutType: 'HELP' }).optOutType).toBe(
      'HELP',
    );
    expect(parseTwilioInbound({ ...DOC_INBOUND_SMS, OptOutType: 'SOMETHING_NEW' }).optOutType).toBeNull();
  });

  it('throws TwilioPayloadError without values for a missing From or MessageSid or an unknown channel', () => {
    const { From: _from, ...noFrom } = DOC_INBOUND_SMS;
    expect(() => parseTwilioInbound(noFrom)).toThrow(TwilioPayloadError);
    expect(() => parseTwilioInbound({ ...DOC_INBOUND_SMS, MessageSid: 'nope' })).toThrow(TwilioPayloadError);
    try {
      parseTwilioInbound({ ...DOC_INBOUND_SMS, From: 'messenger:+11234567890' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TwilioPayloadError);
      expect(String(error)).not.toContain('1234567890');
    }
  });
});

it('TWIML_EMPTY is an empty TwiML response', () => {
  expect(TWIML_EMPTY).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
});
