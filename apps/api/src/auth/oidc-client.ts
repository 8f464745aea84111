import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { ApiException } from '../common/errors/api-exception';
import type { OidcAuthConfig } from '../config/auth-config';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Seconds allowed for each call to the identity provider (discovery, token, userinfo). */
const IDP_TIMEOUT_S = 10;

/** What a sign-in carries to the identity provider and must find again at the callback. */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** What a completed sign-in tells about the person, from the ID token (and userinfo for groups it lacks). */
export interface SignedInClaims {
  sub: string;
  name: unknown;
  email: unknown;
  groups: unknown;
}

/**
 * The identity provider, through openid-client: authorization code with PKCE, state and nonce.
 * Discovery happens at the first sign-in and is retried after a failure, so the API starts, and
 * recovers, without the provider being up.
 */
@Injectable()
export class OidcClient {
  private readonly logger = new Logger(OidcClient.name);
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  static newChecks(): AuthorizationChecks {
    return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  }

  async authorizationUrl(checks: AuthorizationChecks): Promise<URL> {
    const settings = this.settings();
    const configuration = await this.configuration();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: settings.redirectUri.href,
      scope: settings.scopes,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** Redeems the code the provider sent back; throws OidcRefusal when the response does not check out. */
  async complete(callbackUrl: URL, checks: AuthorizationChecks): Promise<SignedInClaims> {
    const settings = this.settings();
    const configuration = await this.configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.refusalOf(error);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcRefusal('the identity provider sent no ID token');
    let groups: unknown = claims[settings.groupsClaim];
    if (groups === undefined && configuration.serverMetadata().userinfo_endpoint) {
      const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub).catch((error: unknown) => {
        throw this.refusalOf(error);
      });
      groups = userInfo[settings.groupsClaim];
    }
    return { sub: claims.sub, name: claims.name, email: claims.email, groups };
  }

  /** RP-initiated logout at the provider, or null where it offers none. */
  async endSessionUrl(): Promise<URL | null> {
    const settings = this.settings();
    const configuration = await this.configuration();
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(configuration, {
      client_id: settings.clientId,
      post_logout_redirect_uri: settings.postLogoutRedirectUri.href,
    });
  }

  private settings(): OidcAuthConfig {
    const auth = this.config.auth;
    if (auth.mode !== 'oidc') throw new ApiException(404, 'not_found', 'No API route matches this method and path.');
    return auth;
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = null;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<oidc.Configuration> {
    const settings = this.settings();
    try {
      return await oidc.discovery(
        settings.issuer,
        settings.clientId,
        { client_secret: settings.clientSecret.reveal() },
        oidc.ClientSecretBasic(settings.clientSecret.reveal()),
        { timeout: IDP_TIMEOUT_S, ...(settings.allowHttpIssuer ? { execute: [oidc.allowInsecureRequests] } : {}) },
      );
    } catch (error) {
      this.logger.warn(`Identity provider discovery failed: ${messageOf(error)}`);
      throw idpUnavailable();
    }
  }

  /** A refusal the person can retry (a stale or forged callback), or the provider being unreachable. */
  private refusalOf(error: unknown): Error {
    if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError || error instanceof oidc.ClientError) {
      const code = 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
      this.logger.warn(`Sign-in refused: the identity provider's response did not check out: ${error.name}${code}`);
      return new OidcRefusal('the identity provider’s answer did not check out');
    }
    this.logger.warn(`Identity provider unreachable during sign-in: ${messageOf(error)}`);
    return idpUnavailable();
  }
}

/** A sign-in that cannot complete: state, nonce or code did not check out. */
export class OidcRefusal extends Error {}

const idpUnavailable = (): ApiException =>
  new ApiException(503, 'idp_unavailable', 'The identity provider cannot be reached, so signing in is not possible right now; try again shortly.', {
    'Retry-After': '5',
  });

/** openid-client's messages name the endpoint and the check that failed, never a token. */
function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
