import { Type } from '@sinclair/typebox';
import { currentUser } from '../auth.ts';
import type { RoutePlugin } from '../server.ts';
import { serializeUser } from './users.ts';

/** The Galaxy release whose API Nebula answers as; BioBlend compares it as a string. */
export const GALAXY_VERSION_MAJOR = '23.0';
export const NEBULA_VERSION = '0.1.0';

export const configRoutes: RoutePlugin = (app, ctx) => {
  app.get(
    '/api/version',
    { config: { auth: 'none' }, schema: { tags: ['config'], summary: 'Server version' } },
    async () => ({ version_major: GALAXY_VERSION_MAJOR, version_minor: '0', extra: { nebula: NEBULA_VERSION } }),
  );

  app.get(
    '/api/configuration',
    { config: { auth: 'optional' }, schema: { tags: ['config'], summary: 'Public server configuration' } },
    async (request) => ({
      brand: 'Nebula',
      version_major: GALAXY_VERSION_MAJOR,
      version_minor: '0',
      use_remote_user: null,
      allow_user_creation: false,
      // Admins delete any user, a user itself (DELETE /api/users/{id}); purging is not implemented.
      allow_user_deletion: true,
      allow_user_dataset_purge: true,
      enable_quotas: false,
      ftp_upload_site: null,
      is_admin_user: request.user?.is_admin ?? false,
      user_library_import_dir: null,
      // Chunked uploads go through tus; BioBlend reads this before choosing a method.
      chunk_upload_size: 10 * 1024 * 1024,
      nginx_upload_path: null,
      server_mail_configured: false,
    }),
  );

  app.get(
    '/api/whoami',
    { config: { auth: 'user' }, schema: { tags: ['users'], summary: 'The user owning the API key' } },
    async (request) => serializeUser(ctx.ids, currentUser(request), true),
  );

  app.get(
    '/api/configuration/version',
    { config: { auth: 'none' }, schema: { hide: true } },
    async () => ({ version_major: GALAXY_VERSION_MAJOR, version_minor: '0' }),
  );
  void Type;
};
