import { Page } from '../../../components/ui/page';

export function Component() {
  return <Page title="Plan and billing">{null}</Page>;
}
