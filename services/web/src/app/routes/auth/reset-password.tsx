import { Page } from '../../../components/ui/page';

export function Component() {
  return <Page title="Choose a new password">{null}</Page>;
}
