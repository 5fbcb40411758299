import { useId, useState } from 'react';
import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading, Notice } from '../../../components/ui/status';
import { useSubscription } from '../../billing/api/get-subscription';
import { addDays, formatDateTime, formatDay, localDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { mondayOf } from '../api/client-overview';
import { reviewsCounted, useClientReviews, useRequestClientReview, type Review } from '../api/client-reviews';

const STATUS: Record<Review['status'], string> = {
  requested: 'Being written…',
  ready: 'Ready',
  failed: 'Could not be written',
};

const FAILURE: Record<NonNullable<Review['failureReason']>, string> = {
  providers_unavailable: 'The AI service could not be reached. Ask again later; it did not count.',
  invalid_output: 'The AI gave an answer we could not use. Ask again; it did not count.',
  budget_exhausted: 'AI reviews are paused for today. Ask again tomorrow; it did not count.',
  unrecognised: 'There was too little logged that week to review.',
  plan_limit: 'The plan’s weekly reviews were used up.',
};

const PLAN_NAME = { free: 'Free', pro: 'Pro', team: 'Team' } as const;

function RequestReview({ clientId, reviews }: { clientId: string; reviews: readonly Review[] }) {
  const prefs = usePreferences();
  const id = useId();
  const subscription = useSubscription();
  const request = useRequestClientReview(clientId);
  const thisWeek = mondayOf(localDay(new Date(), prefs.timeZone));
  const weeks = [
    { weekStart: addDays(thisWeek, -7), label: 'Last week' },
    { weekStart: thisWeek, label: 'This week so far' },
  ];
  const [weekStart, setWeekStart] = useState(weeks[0]?.weekStart ?? thisWeek);

  if (subscription.isPending) return <Loading label="Loading your plan…" minHeight="6rem" />;
  if (subscription.isError)
    return <ProblemAlert error={subscription.error} title="We could not load your plan" />;
  const { plan, limits } = subscription.data;
  const allowed = limits.aiReviewsPerWeek;
  const used = reviewsCounted(reviews);
  const left = allowed < 0 ? Infinity : Math.max(0, allowed - used);
  const taken = new Set(reviews.map((review) => review.weekStart));
  // The API takes a week once its Monday has begun in UTC; east of Greenwich that is hours later.
  const notYet = (week: string) => new Date(`${week}T00:00:00Z`).getTime() > Date.now();
  const closed = (week: string) => taken.has(week) || notYet(week);

  return (
    <div className="stack">
      <p>
        {allowed < 0
          ? `Your ${PLAN_NAME[plan]} plan has no limit on AI reviews.`
          : `Your ${PLAN_NAME[plan]} plan allows ${String(allowed)} AI ${allowed === 1 ? 'review' : 'reviews'} a week for each client: ${String(used)} used for this client in the last 7 days, ${String(left)} left.`}
      </p>
      {left === 0 ? (
        <Notice tone="warning">
          This client’s reviews for the week are used up: one frees up 7 days after it was asked for.{' '}
          <Link to="/billing">A bigger plan</Link> allows more.
        </Notice>
      ) : (
        <form
          className="form"
          aria-label="Ask for a weekly review"
          onSubmit={(event) => {
            event.preventDefault();
            request.mutate({ weekStart, timeZone: prefs.timeZone });
          }}
        >
          <fieldset className="range-picker">
            <legend className="field-label">Week</legend>
            {weeks.map((week) => (
              <label key={week.weekStart} className="range-option">
                <input
                  type="radio"
                  name={`${id}-week`}
                  value={week.weekStart}
                  checked={weekStart === week.weekStart}
                  disabled={closed(week.weekStart)}
                  onChange={() => setWeekStart(week.weekStart)}
                />
                {`${week.label} (from ${formatDay(`${week.weekStart}T12:00:00Z`, { ...prefs, timeZone: 'UTC' })})`}
                {taken.has(week.weekStart)
                  ? ' — already asked for'
                  : notYet(week.weekStart)
                    ? ' — from later today'
                    : ''}
              </label>
            ))}
          </fieldset>
          {request.isError ? (
            <ProblemAlert error={request.error} title="The review was not requested" />
          ) : null}
          <div className="row">
            <Button type="submit" isDisabled={request.isPending || closed(weekStart)}>
              {request.isPending ? 'Asking…' : 'Ask for the review'}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}

/** AI weekly reviews of a client: the plan's quota first, then ask for one, see its status, read it. */
export function ClientReviews({ clientId }: { clientId: string }) {
  const prefs = usePreferences();
  const reviews = useClientReviews(clientId);
  if (reviews.isPending) return <Loading label="Loading reviews…" minHeight="8rem" />;
  if (reviews.isError) return <ProblemAlert error={reviews.error} title="We could not load the reviews" />;
  return (
    <>
      <Card title="Ask for a weekly review">
        <p className="muted">
          Written with AI from the week’s daily totals and metrics, never the meals’ text. The client reads it
          too.
        </p>
        <RequestReview clientId={clientId} reviews={reviews.data.items} />
      </Card>
      <Card title="Reviews">
        {reviews.data.items.length === 0 ? (
          <EmptyState title="No reviews yet">
            Reviews you ask for appear here when the AI has written them.
          </EmptyState>
        ) : (
          <ul className="review-list" aria-label="Reviews">
            {reviews.data.items.map((review) => (
              <li key={review.reviewId} data-status={review.status}>
                <h3 className="review-title">
                  Week of {formatDay(`${review.weekStart}T12:00:00Z`, { ...prefs, timeZone: 'UTC' })}
                </h3>
                <p className="muted" role={review.status === 'requested' ? 'status' : undefined}>
                  {STATUS[review.status]}
                  {review.completedAt ? ` · ${formatDateTime(review.completedAt, prefs)}` : ''}
                </p>
                {review.status === 'failed' && review.failureReason ? (
                  <p>{FAILURE[review.failureReason]}</p>
                ) : null}
                {review.content ? <p className="review-body">{review.content}</p> : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
