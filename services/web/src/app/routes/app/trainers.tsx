import { Page } from '../../../components/ui/page';
import { TrainerComments, TrainerReviews } from '../../../features/trainers/components/trainer-feedback';
import { TrainerAccess, TrainerLinks } from '../../../features/trainers/components/trainer-links';
import '../../../features/trainers/components/trainers.css';

/** Invitations and the link to a trainer, what that trainer sees, and what they wrote. */
export function Component() {
  return (
    <Page title="Trainers">
      <TrainerLinks />
      <TrainerAccess />
      <TrainerComments />
      <TrainerReviews />
    </Page>
  );
}
