import { zodResolver } from '@hookform/resolvers/zod';
import { useId } from 'react';
import { useController, useForm } from 'react-hook-form';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { applyServerErrors } from '../../../lib/form';
import { formatDateTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import {
  addCommentInputSchema,
  useAddClientComment,
  useClientComments,
  type AddCommentInput,
} from '../api/client-comments';

function CommentForm({ clientId }: { clientId: string }) {
  const id = useId();
  const add = useAddClientComment(clientId);
  const form = useForm<AddCommentInput>({
    resolver: zodResolver(addCommentInputSchema),
    defaultValues: { body: '' },
  });
  const { field, fieldState } = useController({ control: form.control, name: 'body' });
  const submit = form.handleSubmit((values) =>
    add.mutate(values, {
      onSuccess: () => form.reset({ body: '' }),
      onError: (error) => applyServerErrors(error, form.setError, ['body']),
    }),
  );

  return (
    <form className="form" aria-label="Write a comment" onSubmit={(event) => void submit(event)} noValidate>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-body`}>
          Comment
        </label>
        <textarea
          id={`${id}-body`}
          className="field-input"
          rows={4}
          {...field}
          aria-invalid={fieldState.invalid || undefined}
          aria-describedby={`${id}-hint${fieldState.error ? ` ${id}-error` : ''}`}
        />
        <span id={`${id}-hint`} className="field-description">
          The client reads it on their Trainers page.
        </span>
        {fieldState.error ? (
          <span id={`${id}-error`} className="field-error">
            {fieldState.error.message}
          </span>
        ) : null}
      </div>
      {add.isError ? <ProblemAlert error={add.error} title="The comment was not saved" /> : null}
      <div className="row">
        <Button type="submit" isDisabled={add.isPending}>
          {add.isPending ? 'Saving…' : 'Add comment'}
        </Button>
      </div>
    </form>
  );
}

/** Comments on a client's logs: write one, read them newest first. */
export function ClientComments({ clientId }: { clientId: string }) {
  const prefs = usePreferences();
  const comments = useClientComments(clientId);
  return (
    <Card title="Comments">
      <CommentForm clientId={clientId} />
      {comments.isPending ? (
        <Loading label="Loading comments…" minHeight="4rem" />
      ) : comments.isError ? (
        <ProblemAlert error={comments.error} title="We could not load the comments" />
      ) : comments.data.pages[0]?.items.length ? (
        <>
          <ul className="comment-list" aria-label="Comments so far">
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
        <EmptyState title="No comments yet">
          Comments you write appear here and on the client’s Trainers page.
        </EmptyState>
      )}
    </Card>
  );
}
