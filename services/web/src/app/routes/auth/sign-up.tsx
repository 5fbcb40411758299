import { Page } from '../../../components/ui/page';

export function Component() {
  return <Page title="Create an account">{null}</Page>;
}
