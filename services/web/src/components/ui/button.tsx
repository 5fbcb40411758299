import { Button as AriaButton, type ButtonProps as AriaButtonProps } from 'react-aria-components';

export interface ButtonProps extends AriaButtonProps {
  variant?: 'primary' | 'secondary' | 'danger' | 'quiet';
}

/** The app's button: React Aria's (keyboard, press and focus handled), in one of four looks. */
export function Button({ variant = 'primary', className, ...props }: ButtonProps) {
  return (
    <AriaButton {...props} className={`btn btn-${variant}${className ? ` ${String(className)}` : ''}`} />
  );
}
