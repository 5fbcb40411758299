import { useEffect, useMemo, useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Notice } from '../../../components/ui/status';

/**
 * Recovery codes, shown once: only their hashes are kept, so this is the one chance to save
 * them. Copy and download both stay in the browser.
 */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  const [copied, setCopied] = useState(false);
  const text = useMemo(() => `Tracking recovery codes (each works once)\n\n${codes.join('\n')}\n`, [codes]);
  const href = useMemo(() => URL.createObjectURL(new Blob([text], { type: 'text/plain' })), [text]);
  useEffect(() => () => URL.revokeObjectURL(href), [href]);

  return (
    <div className="stack">
      <Notice tone="warning">
        Save these recovery codes somewhere safe now. Each signs you in once if you lose your phone. They will
        not be shown again.
      </Notice>
      <ul className="codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="row">
        <Button
          variant="secondary"
          onPress={() => {
            void navigator.clipboard.writeText(text).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy codes'}
        </Button>
        <a className="btn btn-secondary" href={href} download="tracking-recovery-codes.txt">
          Download codes
        </a>
      </div>
    </div>
  );
}
