/** The @liaoliaots/nestjs-redis client the app and the lock module share. */
export const REDIS_NAMESPACE = 'app';
