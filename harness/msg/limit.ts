/**
 * The bus's maximum message size, a parameter of the message models (transport-msg, config-msg)
 * and of validate for them. The draft (revision 1): a bus MUST advertise at least 52 bytes and
 * SHOULD NOT advertise more than 264; the default is 264, so a legal message of any size a
 * conforming bus may carry is accepted unless the run says otherwise.
 */
import type { ParamSpec, Params } from '../core/model.ts';
import { MIN_MAX_MSG_SIZE, RECOMMENDED_MAX_MSG_SIZE } from './types.ts';

export const MAX_MESSAGE_SIZE_PARAM: ParamSpec = {
  name: 'maxMessageSize',
  default: RECOMMENDED_MAX_MSG_SIZE,
  min: MIN_MAX_MSG_SIZE,
  max: RECOMMENDED_MAX_MSG_SIZE,
  description: `the bus's maximum message size in bytes (a bus MUST advertise at least ${MIN_MAX_MSG_SIZE}, SHOULD NOT exceed ${RECOMMENDED_MAX_MSG_SIZE}); frames larger are findings`,
};

/** The limit a run applies: its maxMessageSize parameter, or the default for params resolved elsewhere. */
export function busMaxMessageSize(params: Params): number {
  return params.maxMessageSize ?? RECOMMENDED_MAX_MSG_SIZE;
}

/** "bus maximum message size: 264 bytes (--param maxMessageSize=N)", as reports state it. */
export function limitStatement(max: number): string {
  return `bus maximum message size: ${max} bytes (--param maxMessageSize=N)`;
}

/** Appended to a finding about a frame larger than the limit: which limit, and how to change it. */
export function limitHint(max: number): string {
  return `the bus maximum message size of this run is ${max} bytes; a bus may advertise ${MIN_MAX_MSG_SIZE}..${RECOMMENDED_MAX_MSG_SIZE}: set it with --param maxMessageSize=N`;
}
