import { callUnary } from '@tracking/kit';
import { z } from 'zod';

import type { GatewayDeps } from '../../deps';
import { defineRoute, json, type SessionMetadata } from '../../http/route';
import { ask, COACH, OWN } from './ask';
import { linkOut } from './mappers';
import { linkParams, linkSchema } from './schemas';

/** The caller's own display name, for the invitation mails tracking asks for; never taken from the body. */
async function ownName(deps: GatewayDeps, session: SessionMetadata): Promise<string> {
  const me = await callUnary(deps.auth.getMe.bind(deps.auth), {}, session);
  return me.displayName;
}

/**
 * Trainer–client links from both ends: a client sees, accepts and ends theirs; a trainer invites
 * by email, lists and ends theirs.
 */
export const linkRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/me/trainer-links',
    operationId: 'listMyTrainerLinks',
    summary: 'My trainer, and invitations to my verified email address',
    tags: ['tracking'],
    access: 'session',
    responses: {
      200: json(z.object({ items: z.array(linkSchema) }), 'Links and invitations, newest first.'),
    },
  }).handle(async ({ session, deps }) => {
    const { links } = await ask(deps, session, OWN, (t) => t.listLinks.bind(t), {});
    return { status: 200, body: { items: links.map(linkOut) } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/trainer-links/{linkId}/accept',
    operationId: 'acceptTrainerInvitation',
    summary: 'Accept a trainer’s invitation',
    description: 'A client has one trainer at a time: end the current link first (412 otherwise).',
    tags: ['tracking'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now active.') },
    errors: ['not_found', 'failed_precondition'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, OWN, (t) => t.acceptInvitation.bind(t), {
      linkId: params.linkId,
      accepterName: await ownName(deps, session),
    });
    return { status: 200, body: linkOut(link) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/trainer-links/{linkId}/end',
    operationId: 'endMyTrainerLink',
    summary: 'End my link with my trainer, or decline an invitation',
    description: 'The trainer loses access to my logs at once.',
    tags: ['tracking'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now ended or declined.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, OWN, (t) => t.endLink.bind(t), { linkId: params.linkId });
    return { status: 200, body: linkOut(link) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/invitations',
    operationId: 'inviteClient',
    summary: 'Invite a client by email',
    description:
      'The invitation is mailed to the address, with a link that works for an existing account and for a person who signs up first; it shows up for the account that has verified this address. The trainer’s plan bounds their clients and open invitations: past it, 412 `failed_precondition` names the plan and the one that lifts the limit (docs/billing.md).',
    tags: ['coaching'],
    access: 'session',
    body: z.object({ email: z.string().max(320) }),
    responses: { 201: json(linkSchema, 'The invitation.') },
    errors: ['already_exists', 'failed_precondition'],
  }).handle(async ({ body, session, deps }) => {
    const { link } = await ask(deps, session, COACH, (t) => t.inviteClient.bind(t), {
      email: body.email,
      inviterName: await ownName(deps, session),
    });
    return { status: 201, body: linkOut(link) };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/trainer/links',
    operationId: 'listTrainerLinks',
    summary: 'My clients and my invitations',
    tags: ['coaching'],
    access: 'session',
    responses: {
      200: json(z.object({ items: z.array(linkSchema) }), 'Links and invitations, newest first.'),
    },
  }).handle(async ({ session, deps }) => {
    const { links } = await ask(deps, session, COACH, (t) => t.listLinks.bind(t), {});
    return { status: 200, body: { items: links.map(linkOut) } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/trainer/links/{linkId}/end',
    operationId: 'endTrainerLink',
    summary: 'End a link with a client, or withdraw an invitation',
    tags: ['coaching'],
    access: 'session',
    params: linkParams,
    responses: { 200: json(linkSchema, 'The link, now ended.') },
    errors: ['not_found'],
  }).handle(async ({ params, session, deps }) => {
    const { link } = await ask(deps, session, COACH, (t) => t.endLink.bind(t), { linkId: params.linkId });
    return { status: 200, body: linkOut(link) };
  }),
];
