// The herokuenv policy pack: `pulumi preview --policy-pack policy` (and the workflows) run it. It only assembles the
// policies of ./policies; constructing a PolicyPack starts its gRPC server, so tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("herokuenv", { policies, enforcementLevel: "mandatory" });
