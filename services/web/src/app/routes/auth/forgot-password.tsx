import { Page } from '../../../components/ui/page';

export function Component() {
  return <Page title="Forgot your password">{null}</Page>;
}
