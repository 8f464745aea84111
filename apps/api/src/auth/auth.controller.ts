import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_ROUTES, type AuthSessionResponse, type SignOutResponse } from '@byok/contracts';
import type { Request, Response } from 'express';
import { ApiException } from '../common/errors/api-exception';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AuditLog } from '../audit/audit-log';
import { saveSession } from '../session/session-operations';
import { CallerResolver } from './caller-resolver';
import { OidcClient, OidcRefusal } from './oidc-client';
import { identityGroups, identityText } from './person';
import { SignIns } from './sign-ins';

/** A sign-in left unfinished this long (the login page abandoned) is refused at the callback. */
const PENDING_LOGIN_MS = 10 * 60_000;
const MAX_RETURN_PATH = 2048;

@ApiTags('sign-in')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly callers: CallerResolver,
    private readonly signIns: SignIns,
    private readonly oidc: OidcClient,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  @Get('session')
  @ApiOperation({ summary: 'Who is signed in, and where to sign in or out; answered signed in or not.' })
  async session(@Req() req: Request): Promise<AuthSessionResponse> {
    const { person } = await this.callers.ofRequest(req);
    const auth = this.config.auth;
    return {
      mode: auth.mode,
      person: person ? { displayName: person.displayName, email: person.email } : null,
      signInUrl: auth.mode === 'oidc' ? API_ROUTES.signIn : auth.mode === 'proxy' ? auth.signInUrl : null,
      canSignOut: auth.mode !== 'none',
    };
  }

  @Get('login')
  @ApiOperation({ summary: 'OpenID Connect: starts a sign-in at the identity provider (302).' })
  async login(@Req() req: Request, @Res() res: Response, @Query('returnTo') returnTo: unknown): Promise<void> {
    const checks = OidcClient.newChecks();
    const url = await this.oidc.authorizationUrl(checks);
    req.session.oidcLogin = { ...checks, returnTo: returnPathOf(returnTo), startedAt: this.clock.now() };
    await saveSession(req);
    res.redirect(302, url.href);
  }

  @Get('callback')
  @ApiOperation({ summary: 'OpenID Connect: where the identity provider sends the browser back; completes the sign-in (302).' })
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const auth = this.config.auth;
    if (auth.mode !== 'oidc') throw new ApiException(404, 'not_found', 'No API route matches this method and path.');
    const pending = req.session.oidcLogin;
    if (!pending || this.clock.now() - pending.startedAt > PENDING_LOGIN_MS) {
      throw new ApiException(400, 'unauthenticated', 'This sign-in has expired or was started in another browser; start again from the app.');
    }
    const callbackUrl = new URL(req.originalUrl, auth.redirectUri);
    let claims;
    try {
      claims = await this.oidc.complete(callbackUrl, pending);
    } catch (error) {
      if (!(error instanceof OidcRefusal)) throw error;
      throw new ApiException(400, 'unauthenticated', `The sign-in could not be completed: ${error.message}; start again from the app.`);
    }
    const id = identityText(claims.sub);
    if (!id) throw new ApiException(400, 'unauthenticated', 'The identity provider named no usable subject; ask your administrator.');
    const email = identityText(claims.email);
    await this.signIns.begin(
      req,
      {
        id,
        displayName: identityText(claims.name) ?? email ?? id,
        email,
        groups: Array.isArray(claims.groups) ? identityGroups(claims.groups) : [],
      },
      true,
    );
    this.audit.signIn(req, id);
    res.redirect(302, pending.returnTo);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ends the session and forgets its session-only keys; answers where the browser goes next.' })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SignOutResponse> {
    const auth = this.config.auth;
    if (auth.mode === 'none') throw new ApiException(404, 'not_found', 'No API route matches this method and path.');
    const caller = await this.callers.ofRequest(req);
    const keyring = caller.keyring?.kind === 'person' ? caller.keyring : null;
    const forgotten = await this.signIns.end(req, res, keyring);
    if (caller.person) this.audit.signOut(req, caller.person.id, forgotten);
    if (auth.mode === 'proxy') return { redirectTo: auth.signOutUrl };
    return { redirectTo: (await this.oidc.endSessionUrl())?.href ?? '/' };
  }
}

/** Only a path on this site: anything else (another origin, `//host`, `/\host`) would make the callback an open redirect. */
function returnPathOf(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_RETURN_PATH) return '/';
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/';
}
