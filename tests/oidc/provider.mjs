// A real OpenID Provider for the single sign-on tests: panva's oidc-provider (OpenID
// Certified), with its development login and consent pages. Started by tests/app/sso.rs:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_URI in the environment;
//   prints "ready" once it listens.
// Accounts: the login typed on its sign-in page is the account; its email is that login,
// verified — except "unverified:<email>", whose email is not verified.
// To test that Custodian refuses bad ID tokens, POST /__mode?m=<mode> makes the token endpoint
// tamper with the next ID tokens it issues: expired, wrong_nonce, wrong_key (signed by a key
// the provider does not publish), wrong_audience, or normal.
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'signing-key', alg: 'RS256', use: 'sig' };
const { privateKey: strangerKey } = await jose.generateKeyPair('RS256', { extractable: true });

let mode = 'normal';

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // Claims of the requested scopes go into the ID token, as most providers do for `email`.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['custodian-test-provider'] },
  async findAccount(_ctx, sub) {
    const unverified = sub.startsWith('unverified:');
    const email = unverified ? sub.slice('unverified:'.length) : sub;
    const local = email.split('@')[0] || 'someone';
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email,
          email_verified: !unverified,
          given_name: local.charAt(0).toUpperCase() + local.slice(1),
          family_name: 'Provided',
          name: `${local} Provided`,
        };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  if (ctx.path === '/__mode' && ctx.method === 'POST') {
    mode = String(ctx.query.m || 'normal');
    ctx.body = { mode };
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && mode !== 'normal' && ctx.body && ctx.body.id_token) {
    const claims = jose.decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    let key = privateKey;
    if (mode === 'expired') {
      claims.iat = now - 7200;
      claims.exp = now - 3600;
    } else if (mode === 'wrong_nonce') {
      claims.nonce = 'not-the-nonce-that-was-sent';
    } else if (mode === 'wrong_audience') {
      claims.aud = 'some-other-client';
    } else if (mode === 'wrong_key') {
      key = strangerKey;
    }
    ctx.body.id_token = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'signing-key', typ: 'JWT' })
      .sign(key);
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
