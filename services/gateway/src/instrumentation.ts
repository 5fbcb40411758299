// Imported first by main.ts: the instrumentations must patch http, express and grpc before they load.
import { startTelemetry } from '@tracking/kit/telemetry';

export const telemetry = startTelemetry('gateway');
