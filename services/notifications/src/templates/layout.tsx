// @jsxRuntime automatic
// (each template says so itself: tsx, in the image and the local stack, compiles with the
// tsconfig of the working directory, not this workspace's `jsx: react-jsx`)
import { Body, Button, Container, Head, Heading, Hr, Html, Preview, Text } from '@react-email/components';
import type { ReactNode } from 'react';

import type { Locale } from './template';

export const PRODUCT = 'Tracking';

// Plain and readable in every client: system fonts, one column, dark text on white, a
// button with a contrast ratio above 7:1, and nothing that needs images or scripts.
const page = {
  backgroundColor: '#ffffff',
  color: '#1a1a1a',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
};
const container = { maxWidth: '560px', margin: '0 auto', padding: '24px 16px' };
const paragraph = { fontSize: '16px', lineHeight: '24px', margin: '0 0 16px' };
const button = {
  backgroundColor: '#0b4f6c',
  color: '#ffffff',
  borderRadius: '6px',
  padding: '12px 20px',
  fontSize: '16px',
  textDecoration: 'none',
};
const footer = { fontSize: '13px', lineHeight: '20px', color: '#4a4a4a', margin: '0' };

/** Every message: a heading, the body, and a footer saying why the reader got it. */
export function Layout(props: {
  locale: Locale;
  preview: string;
  heading: string;
  children: ReactNode;
  why?: string;
}) {
  return (
    // The reader's locale, so a screen reader reads dates and words the way they expect.
    <Html lang={props.locale}>
      <Head />
      <Preview>{props.preview}</Preview>
      <Body style={page}>
        <Container style={container}>
          <Heading as="h1" style={{ fontSize: '22px', margin: '0 0 16px' }}>
            {props.heading}
          </Heading>
          {props.children}
          <Hr />
          <Text style={footer}>
            {props.why ?? `You are getting this because of your ${PRODUCT} account.`} This is an automatic
            message; replies are not read.
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

export function Paragraph(props: { children: ReactNode }) {
  return <Text style={paragraph}>{props.children}</Text>;
}

/** The one thing to do, as a button; its address also appears in the text part. */
export function Action(props: { href: string; children: string }) {
  return (
    <Text style={paragraph}>
      <Button href={props.href} style={button}>
        {props.children}
      </Button>
    </Text>
  );
}
