import { Page } from '../../../../components/ui/page';

export function Component() {
  return <Page title="Two-step sign-in">{null}</Page>;
}
