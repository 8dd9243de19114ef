// An OpenID Connect provider for the browser tests (npm oauth2-mock-server). It signs every
// user in as the same person and adds the profile claims Cohort reads.
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.env.OIDC_MOCK_PORT ?? 3218);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token) => {
  Object.assign(token.payload, {
    email: 'sso.learner@example.com',
    email_verified: true,
    name: 'SSO Learner',
    preferred_username: 'sso_learner',
  });
});
await server.start(port, '127.0.0.1');
console.log(`OIDC mock provider at ${server.issuer.url}`);
