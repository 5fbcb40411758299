import { AlertReceiver } from '@tracking/testing';

// The local stack's on-call: appends every notification Alertmanager delivers to a JSON-lines
// file (.local/logs/alerts.jsonl), the place to look when an alert fires on a laptop.
//
//   node --import tsx scripts/alert-receiver.ts <port> <file>

async function main(): Promise<void> {
  const [port, file] = process.argv.slice(2);
  if (!port || !/^\d+$/.test(port) || !file) {
    process.stderr.write('usage: alert-receiver.ts <port> <file>\n');
    process.exit(2);
  }
  const receiver = new AlertReceiver({ file });
  const url = await receiver.start(Number(port));
  process.stdout.write(`alert receiver listening on ${url}, writing ${file}\n`);
  process.once('SIGTERM', () => void receiver.stop().then(() => process.exit(0)));
  // up.sh asks every supporting process to reload; this one has nothing to reload.
  process.on('SIGHUP', () => undefined);
}

void main();
