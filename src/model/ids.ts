/** Identifier of a node (physical machine), as written in the exchange format. */
export type NodeId = string;
/** Identifier of a virtual machine. */
export type VmId = string;
/** Identifier of a vjob (a group of VMs that changes state together). */
export type VjobId = string;
/** Name of a resource (`cpu`, `memory`, ...). */
export type ResourceName = string;

/** A JSON value, as carried under `"x"` extension objects. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };
/** A JSON object (the type of every `"x"` extension field). */
export type JsonObject = { readonly [k: string]: JsonValue };
