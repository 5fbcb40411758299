// Imported first by main.ts: the instrumentations must patch http, grpc and pg before they load.
import { startTelemetry } from '@tracking/kit/telemetry';

export const telemetry = startTelemetry('privacy');
