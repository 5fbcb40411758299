import { Button } from '../../../components/ui/button';
import { Notice } from '../../../components/ui/status';
import { useVerifyAuditChain } from '../api/verify-audit-chain';
import { AdminProblem } from './admin-problem';

/** Recompute the audit log's hash chain and say whether it holds, and where it first breaks. */
export function ChainCheck() {
  const verify = useVerifyAuditChain();
  const verdict = verify.data;
  return (
    <div className="stack">
      <p className="muted">
        Every entry carries the hash of the one before it, so an edited, deleted or inserted entry breaks the
        chain from that point on.
      </p>
      <div className="row">
        <Button onPress={() => verify.mutate()} isDisabled={verify.isPending}>
          {verify.isPending ? 'Checking the chain…' : 'Verify the chain'}
        </Button>
      </div>
      <div aria-live="polite" className="chain-verdict">
        {verdict?.intact ? (
          <Notice tone="success">
            The chain is intact: {verdict.entriesChecked} entries checked, through sequence{' '}
            {verdict.verifiedThrough}. Head hash <code className="mono">{verdict.headHash}</code>.
          </Notice>
        ) : null}
        {verdict && !verdict.intact ? (
          <div className="alert alert-danger" role="alert">
            <strong className="alert-title">The chain is broken</strong>
            <p>
              The first broken entry is sequence {verdict.firstBroken?.sequence ?? '?'}:{' '}
              {verdict.firstBroken?.reason ?? 'no reason given'}. Entries up to {verdict.verifiedThrough} are
              intact ({verdict.entriesChecked} checked). Treat the log after that point as evidence that may
              have been tampered with, and follow the runbook for audit.chain.broken.
            </p>
          </div>
        ) : null}
      </div>
      <AdminProblem error={verify.error} title="The chain could not be checked" />
    </div>
  );
}
