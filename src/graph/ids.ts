import { z } from "zod";

/** Node ids are unique in a run: 1–128 letters, digits and `._:-`. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const NodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, "a node id is 1–128 characters of letters, digits and ._:-");

export type NodeId = z.infer<typeof NodeIdSchema>;
