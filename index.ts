export { ApiSyncApiKeyApi } from './credentials/ApiSyncApiKeyApi.credentials';
export { ApiSyncBasicAuthApi } from './credentials/ApiSyncBasicAuthApi.credentials';
export { ApiSyncBearerTokenApi } from './credentials/ApiSyncBearerTokenApi.credentials';
export { ApiSyncHmacApi } from './credentials/ApiSyncHmacApi.credentials';
export { ApiSyncOAuth2Api } from './credentials/ApiSyncOAuth2Api.credentials';
export { ApiSync } from './nodes/ApiSync/ApiSync.node';
export { ApiSyncApiKey } from './nodes/ApiSyncApiKey/ApiSyncApiKey.node';
export { ApiSyncTrigger } from './nodes/ApiSyncTrigger/ApiSyncTrigger.node';
