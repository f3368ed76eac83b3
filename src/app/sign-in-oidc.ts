import * as oidc from 'openid-client';
import type { OidcRelyingParty } from './ports.ts';

export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `${WARDLINE_PUBLIC_URL}/v1/session/oidc/callback`, registered with the identity provider. */
  readonly redirectUri: string;
}

/**
 * An OpenID Connect relying party with `openid-client` (v6): authorization code flow with PKCE (S256), `state` and
 * `nonce`; the client authenticates with `client_secret_basic`. The provider's metadata is discovered on first use
 * (and again after a failure). Plain-http issuers are allowed only on loopback, for development and tests.
 * @param settings - issuer, client credentials, redirect URI
 */
export function createOidcRelyingParty(settings: OidcSettings): OidcRelyingParty {
  let configuration: Promise<oidc.Configuration> | null = null;
  const issuerUrl = new URL(settings.issuer);
  const loopback = issuerUrl.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuerUrl.hostname);
  const configured = (): Promise<oidc.Configuration> => {
    configuration ??= oidc
      .discovery(
        issuerUrl,
        settings.clientId,
        undefined,
        oidc.ClientSecretBasic(settings.clientSecret),
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback http issuers only (development, tests)
        loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        configuration = null;
        throw error;
      });
    return configuration;
  };
  return {
    issuer: settings.issuer,
    async start() {
      const config = await configured();
      const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: 'openid',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.href, pending };
    },
    async finish(callbackUrl, pending) {
      const config = await configured();
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
      const claims = tokens.claims();
      if (claims === undefined) throw new Error('no ID token');
      return { subject: claims.sub };
    },
  };
}
