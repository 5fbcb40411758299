// Integration tests read the addresses of the local infrastructure that scripts/infra.sh started.
const fs = require('node:fs');
const path = require('node:path');

const envFile = path.join(__dirname, '.local', 'infra.env');
if (fs.existsSync(envFile)) {
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
}
