import { Page } from '../../../components/ui/page';

export function Component() {
  return <Page title="Confirm your email">{null}</Page>;
}
