import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime, formatDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useComments } from '../api/list-comments';
import { useReviews, type Review } from '../api/list-reviews';

export function TrainerComments() {
  const prefs = usePreferences();
  const comments = useComments();
  return (
    <Card title="Comments">
      {comments.isPending ? (
        <Loading label="Loading comments…" minHeight="4rem" />
      ) : comments.isError ? (
        <ProblemAlert error={comments.error} title="We could not load the comments" />
      ) : comments.data.pages[0]?.items.length ? (
        <>
          <ul className="comment-list">
            {comments.data.pages
              .flatMap((page) => page.items)
              .map((comment) => (
                <li key={comment.commentId}>
                  <p className="comment-body">{comment.body}</p>
                  <p className="muted">
                    <time dateTime={comment.createdAt}>{formatDateTime(comment.createdAt, prefs)}</time>
                    {comment.mealId ? ' · about a meal' : ''}
                  </p>
                </li>
              ))}
          </ul>
          {comments.hasNextPage ? (
            <Button
              variant="secondary"
              isDisabled={comments.isFetchingNextPage}
              onPress={() => void comments.fetchNextPage()}
            >
              Show earlier comments
            </Button>
          ) : null}
        </>
      ) : (
        <EmptyState title="No comments yet">Your trainer’s comments on your log appear here.</EmptyState>
      )}
    </Card>
  );
}

const REVIEW_STATUS: Record<Review['status'], string> = {
  requested: 'Being written…',
  ready: 'Ready',
  failed: 'Could not be written',
};

export function TrainerReviews() {
  const prefs = usePreferences();
  const reviews = useReviews();
  return (
    <Card title="Weekly reviews">
      {reviews.isPending ? (
        <Loading label="Loading reviews…" minHeight="4rem" />
      ) : reviews.isError ? (
        <ProblemAlert error={reviews.error} title="We could not load the reviews" />
      ) : reviews.data.items.length === 0 ? (
        <EmptyState title="No reviews yet">
          Weekly reviews your trainer asks for (written with AI from your week’s totals) appear here.
        </EmptyState>
      ) : (
        <ul className="review-list">
          {reviews.data.items.map((review) => (
            <li key={review.reviewId}>
              <h3 className="review-title">
                Week of {formatDay(`${review.weekStart}T12:00:00Z`, { ...prefs, timeZone: 'UTC' })}
              </h3>
              <p className="muted">{REVIEW_STATUS[review.status]}</p>
              {review.content ? <p className="review-body">{review.content}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
