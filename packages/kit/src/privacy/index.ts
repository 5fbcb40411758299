// The privacy sagas' participant runtime, export encryption and object store: imported as
// '@tracking/kit/privacy' by the services that take part, so the others never load the S3 SDK.
export * from './config';
export * from './csv';
export * from './encryption';
export * from './participant';
export * from './store';
