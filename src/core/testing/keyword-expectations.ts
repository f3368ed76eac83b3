import { HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, type InboundIntent } from '../consent/inbound-intent.ts';

/**
 * The classification a bare keyword from one of the exported lists must get (shared by the unit and property
 * tests of the inbound classifier).
 * @param keyword - a keyword from OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS or HELP_KEYWORDS
 */
export function expectedForKeyword(keyword: string): InboundIntent {
  const canonical = keyword.replaceAll(' ', '');
  if (OPT_OUT_KEYWORDS.includes(keyword)) {
    return { kind: 'opt-out', via: 'keyword', keyword: canonical, allChannels: canonical === 'STOPALL' };
  }
  if (OPT_IN_KEYWORDS.includes(keyword)) return { kind: 'opt-in', keyword: canonical };
  if (HELP_KEYWORDS.includes(keyword)) return { kind: 'help', keyword: canonical };
  throw new Error('not a keyword of the exported lists');
}
