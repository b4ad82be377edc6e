#!/usr/bin/env python3
"""Checks that every IAM policy statement in a CloudFormation / SAM template is scoped to the
template's own resources, and that the template keeps forewarn's IAM model.

  check_iam.py TEMPLATE      one line per statement; exit 1 if any statement is not scoped
  check_iam.py --self-test   runs the checker on small inline templates (good and bad ones)

Walked: the policies of AWS::IAM::Role / User / Group, AWS::IAM::Policy and ManagedPolicy,
AWS::SNS::TopicPolicy, AWS::SQS::QueuePolicy, AWS::Events::EventBusPolicy, AWS::KMS::Key key
policies, and the `Policies` of every AWS::Serverless::Function (inline statements and SAM
policy templates).

An Allow statement passes when
  - no action is a whole-service wildcard ("*", "sns:*") and it has no NotAction/NotResource;
  - every Resource is a !Ref / !GetAtt of a resource of this template, or an ARN in this
    partition, region and account whose resource part names one (${Table}, ${ScheduleGroup},
    ${AWS::StackName}…, a wildcard only after that name), or one of ARN_EXCEPTIONS, or a
    parameter of PARAMETER_RESOURCES (with only its actions);
  - Resource "*" only for a Sid in STAR_ALLOWED, with its reason (in a KMS key policy "*" is
    the key itself, so it passes there);
  - a resource policy does not grant to Principal "*" without a Condition.
A SAM policy template passes when it is a known template and every argument is a !Ref /
!GetAtt of a resource of this template; when the SAM translator is installed the template is
also expanded and its statements checked as above; one of BROAD_POLICY_TEMPLATES fails (it
grants what no function needs). A managed policy given by name or ARN fails (its statements
cannot be checked here) unless it is a resource of this template.

The IAM model (one FAIL line each, naming the resource):
  - a function or role allowed sns:Publish on "*" (SMS) is denied sns:Publish on SNS ARNs
    (arn:<partition>:sns:*:*:*): unconditionally when it may not publish to platform endpoints,
    else for other accounts (aws:ResourceAccount) and other regions (aws:RequestedRegion);
  - a role that a service assumes (other than Lambda) is trusted on aws:SourceAccount and
    aws:SourceArn conditions;
  - every EventBridge bus has a resource policy that denies events:PutEvents with
    `source: forewarn` to all but named principals, and likewise for the producers' sources,
    and every rule on the bus matches only sources that policy restricts.
"""

import json
import os
import re
import sys

import yaml

# Sid -> (the only actions it may grant on Resource "*", why "*" is needed).
STAR_ALLOWED = {
    "SmsToPhoneNumbers": ({"sns:Publish"}, "SNS has no resource ARN for publishing an SMS to a phone "
                          "number; sns:Publish on * is required"),
}

# ARNs that name no resource of the template but are the project's all the same:
# (service, pattern of the ARN's resource part, the only actions allowed on it, reason).
# Region and account must still be ${AWS::Region} and ${AWS::AccountId}.
ARN_EXCEPTIONS = [
    ("sns", r"endpoint/\*", {"sns:Publish"},
     "SNS platform endpoints of this account and region: one per device, registered outside the stack"),
    ("sns", r"endpoint/(APNS|APNS_SANDBOX|GCM)/\*",
     {"sns:SetEndpointAttributes", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"},
     "the push endpoints of one platform in this account and region: an endpoint's ARN holds its application's "
     "name, which an application ARN parameter cannot give IAM; CreatePlatformEndpoint, the one call that makes "
     "an endpoint, is granted on the stack's applications only"),
    ("events", r"event-bus/default", {"events:PutEvents"},
     "the account's default bus, the only one SES publishes to"),
    ("ses", r"identity/\$\{SenderEmail\}", {"ses:SendEmail", "ses:SendRawEmail"},
     "the verified sender identity, named by the SenderEmail parameter"),
    ("sms-voice", r"(phone-number|sender-id|pool)/\*", {"sms-voice:SendTextMessage"},
     "the account's SMS origination identities in this region: SmsOriginationIdentity names one by its number "
     "or sender id, which gives IAM no ARN (the ARN holds an id End User Messaging assigns)"),
]

# Parameters that name a resource outside the template on purpose:
# name -> (the only actions allowed on it, reason).
PARAMETER_RESOURCES = {
    "KmsKeyArn": ({"kms:Decrypt", "kms:GenerateDataKey"},
                  "the customer-managed key of the table and the on-failure queues (parameter KmsKeyArn)"),
    "ApnsApplicationArn": ({"sns:CreatePlatformEndpoint"}, "the stack's APNs platform application (parameter)"),
    "ApnsSandboxApplicationArn": ({"sns:CreatePlatformEndpoint"},
                                  "the stack's APNs sandbox platform application (parameter)"),
    "FcmApplicationArn": ({"sns:CreatePlatformEndpoint"}, "the stack's FCM platform application (parameter)"),
}

# SAM policy templates that grant more than any function uses: name -> what they add.
BROAD_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": "Scan, DeleteItem, BatchWriteItem, BatchGetItem, DescribeTable",
    "DynamoDBWritePolicy": "DeleteItem, BatchWriteItem, DescribeTable",
}

# Service principals whose trust cannot name a source (a Lambda function's execution role).
NO_SOURCE_SERVICES = {"lambda.amazonaws.com", "edgelambda.amazonaws.com"}
# Condition operators that exclude what they name.
NEGATED_OPERATORS = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")

PARTITIONS = {"${AWS::Partition}", "aws", "aws-cn", "aws-us-gov"}
# Services whose ARNs carry no region (and, for s3, no account).
GLOBAL_SERVICES = {"iam", "s3", "route53", "cloudfront"}

# SAM policy templates known when the SAM translator (which lists them all) is not installed.
FALLBACK_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBWritePolicy", "DynamoDBStreamReadPolicy",
    "EventBridgePutEventsPolicy", "SQSSendMessagePolicy", "SQSPollerPolicy", "SNSPublishMessagePolicy",
    "LambdaInvokePolicy", "S3ReadPolicy", "S3WritePolicy", "S3CrudPolicy", "KMSDecryptPolicy",
    "KMSEncryptPolicy", "SSMParameterReadPolicy", "StepFunctionsExecutionPolicy",
}


# --- loading ---------------------------------------------------------------------------------

class CfnLoader(yaml.SafeLoader):
    """CloudFormation YAML: short-form tags become their long form ({"Ref": …}, {"Fn::Sub": …})."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


def load(text):
    return yaml.load(text, Loader=CfnLoader)


def policy_templates():
    """SAM policy templates by name ({name: definition}), or None without the SAM translator."""
    try:
        import samtranslator
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(samtranslator.__file__), "policy_templates_data", "policy_templates.json")
    try:
        with open(path) as f:
            return json.load(f)["Templates"]
    except (OSError, ValueError, KeyError):
        return None


# --- the checker -----------------------------------------------------------------------------

def as_list(v):
    return v if isinstance(v, list) else [v]


def intrinsic(v):
    """(name, argument) of a one-key intrinsic function, else (None, None)."""
    if isinstance(v, dict) and len(v) == 1:
        (k, a), = v.items()
        if k == "Ref" or k.startswith("Fn::"):
            return k, a
    return None, None


def branches(v):
    """The values v can take: both sides of Fn::If, nothing for AWS::NoValue."""
    k, a = intrinsic(v)
    if k == "Fn::If" and isinstance(a, list) and len(a) == 3:
        return branches(a[1]) + branches(a[2])
    if k == "Ref" and a == "AWS::NoValue":
        return []
    return [v]


def getatt_target(arg):
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    return arg[0] if isinstance(arg, list) and arg else None


class Checker:
    def __init__(self, template, templates=None):
        self.t = template or {}
        self.templates = templates
        self.resources = dict(self.t.get("Resources") or {})
        self.parameters = set((self.t.get("Parameters") or {}).keys())
        self.owned = set(self.resources)
        for name, r in self.resources.items():
            # Resources SAM generates from a function: its role and one per event (rules,
            # subscriptions), so a template may refer to them.
            if isinstance(r, dict) and r.get("Type") == "AWS::Serverless::Function":
                props = r.get("Properties") or {}
                self.owned.add(name + "Role")
                for event in (props.get("Events") or {}):
                    self.owned.add(name + event)
        self.lines, self.violations = [], []
        # Identity statements by resource (function, role, policy): the IAM model's checks.
        self.identity = {}

    # -- reporting
    def ok(self, where, label, detail):
        self.lines.append(f"ok  {where} {label}: {detail}")

    def fail(self, where, label, reason):
        line = f"FAIL {where} {label}: {reason}"
        self.lines.append(line)
        self.violations.append(line)

    # -- walking
    def run(self):
        for name, r in self.resources.items():
            if not isinstance(r, dict):
                continue
            rtype, props = r.get("Type"), r.get("Properties") or {}
            if rtype in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                for p in as_list(props.get("Policies") or []):
                    for p in branches(p):
                        doc = p.get("PolicyDocument") if isinstance(p, dict) else None
                        self.document(name, doc, f"policy {p.get('PolicyName', '?') if isinstance(p, dict) else '?'}")
                for arn in as_list(props.get("ManagedPolicyArns") or []):
                    self.managed_policy(name, arn)
            elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                self.document(name, props.get("PolicyDocument"), "policy")
            elif rtype in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
                self.document(name, props.get("PolicyDocument"), "policy", resource_policy=True)
            elif rtype == "AWS::Events::EventBusPolicy":
                for st in branches(props.get("Statement")):
                    self.statement(name, props.get("StatementId") or "statement", st, True, False)
            elif rtype == "AWS::Events::EventBus" and isinstance(props.get("Policy"), dict):
                self.document(name, props.get("Policy"), "bus policy", resource_policy=True)
            elif rtype == "AWS::KMS::Key":
                self.document(name, props.get("KeyPolicy"), "key policy", resource_policy=True, key_policy=True)
            elif rtype == "AWS::Serverless::Function":
                self.sam_policies(name, props.get("Policies"))
        self.sms_cannot_reach_topics()
        self.service_trust_is_conditioned()
        self.bus_policies()
        return self

    def sam_policies(self, where, policies):
        if policies is None:
            return
        for i, p in enumerate(as_list(policies)):
            for p in branches(p):
                k, a = intrinsic(p)
                if isinstance(p, str) or k is not None:
                    self.managed_policy(where, p)
                elif isinstance(p, dict) and "Statement" in p:
                    self.document(where, p, f"Policies[{i}]")
                elif isinstance(p, dict) and len(p) == 1:
                    (tname, args), = p.items()
                    self.policy_template(where, tname, args)
                else:
                    self.fail(where, f"Policies[{i}]", "not a policy document, SAM policy template or managed policy")

    def managed_policy(self, where, ref):
        k, a = intrinsic(ref)
        if k == "Ref" and a in self.resources and self.resources[a].get("Type") == "AWS::IAM::ManagedPolicy":
            self.ok(where, a, "managed policy of this template (checked as its own resource)")
        else:
            shown = ref if isinstance(ref, str) else json.dumps(ref)
            self.fail(where, "managed policy", f"{shown} is not a policy of this template; its statements cannot be checked")

    def policy_template(self, where, tname, args):
        known = self.templates if self.templates is not None else FALLBACK_POLICY_TEMPLATES
        if tname not in known:
            self.fail(where, tname, "unknown SAM policy template")
            return
        if tname in BROAD_POLICY_TEMPLATES:
            self.fail(where, tname, f"also grants {BROAD_POLICY_TEMPLATES[tname]}; list the actions the function "
                                    "calls in a statement instead")
            return
        if not isinstance(args, dict):
            args = {}
        errors, shown = [], []
        for pname, value in args.items():
            k, a = intrinsic(value)
            target = a if k == "Ref" else getatt_target(a) if k == "Fn::GetAtt" else None
            if target is not None and target in self.owned:
                shown.append(f"{pname} -> {'!Ref' if k == 'Ref' else '!GetAtt'} {target}")
            elif target is not None:
                what = "a parameter" if target in self.parameters else "not a resource of this template"
                errors.append(f"{pname} refers to {target}, {what}")
            else:
                errors.append(f"{pname} is {json.dumps(value)}, not a !Ref/!GetAtt of a resource of this template")
        if not args:
            errors.append("takes no resource argument (it grants on every resource)")
        if errors:
            self.fail(where, tname, "; ".join(errors))
            return
        if self.templates is not None:
            # Expanded as SAM does it, so its actions and resources are checked too.
            definition = self.templates[tname]
            expanded = substitute(definition["Definition"], set(definition.get("Parameters", {})), args)
            before = len(self.violations)
            saved = self.lines
            self.lines = []
            self.document(where, expanded, tname)
            inner, self.lines = self.lines, saved
            if len(self.violations) > before:
                self.lines.extend(inner)
                return
        self.ok(where, tname, ", ".join(shown))

    def document(self, where, doc, label, resource_policy=False, key_policy=False):
        if not isinstance(doc, dict):
            self.fail(where, label, "policy document is not an object (a JSON string cannot be checked)")
            return
        statements = []
        for s in as_list(doc.get("Statement") or []):
            statements.extend(branches(s))
        if not resource_policy:
            self.identity.setdefault(where, []).extend(st for st in statements if isinstance(st, dict))
        for j, s in enumerate(statements):
            sid = s.get("Sid") if isinstance(s, dict) else None
            self.statement(where, sid or f"{label} statement {j}", s, resource_policy, key_policy)

    def statement(self, where, label, s, resource_policy, key_policy):
        if not isinstance(s, dict):
            self.fail(where, label, "statement is not an object")
            return
        if s.get("Effect") == "Deny":
            self.ok(where, label, "Deny")
            return
        if s.get("Effect") != "Allow":
            self.fail(where, label, f"Effect {s.get('Effect')!r} is neither Allow nor Deny")
            return
        errors = []
        if "NotAction" in s:
            errors.append("Allow with NotAction grants every other action")
        if "NotResource" in s:
            errors.append("Allow with NotResource grants every other resource")
        actions = []
        for a in as_list(s.get("Action", [])):
            for a in branches(a):
                if not isinstance(a, str):
                    errors.append(f"action {json.dumps(a)} is not a literal")
                elif a == "*" or a.endswith(":*"):
                    errors.append(f"action {a!r} is a whole-service wildcard")
                else:
                    actions.append(a)
        if "Action" not in s and "NotAction" not in s:
            errors.append("no Action")
        if resource_policy:
            errors.extend(self.principal(s))
        resources, star_reason = [], None
        if "Resource" not in s:
            if "NotResource" not in s:
                errors.append("no Resource")
        for r in as_list(s.get("Resource", [])):
            for r in branches(r):
                if r == "*":
                    if key_policy:
                        star_reason = "* is this key (key policy)"
                    elif isinstance(s.get("Sid"), str) and s["Sid"] in STAR_ALLOWED:
                        allowed, reason = STAR_ALLOWED[s["Sid"]]
                        if set(actions) <= allowed:
                            star_reason = f"* allowed ({reason})"
                        else:
                            errors.append(f'{s["Sid"]} may grant only {", ".join(sorted(allowed))} on "*", '
                                          f'not {", ".join(sorted(set(actions) - allowed))}')
                    else:
                        errors.append('Resource "*" without a Sid allowed to use it '
                                      f"(allowed: {', '.join(sorted(STAR_ALLOWED))})")
                    continue
                shown, error = self.resource(r, actions)
                if error:
                    errors.append(error)
                else:
                    resources.append(shown)
        if errors:
            self.fail(where, label, "; ".join(errors))
            return
        act = actions[0] if len(actions) == 1 else f"{actions[0]} +{len(actions) - 1}" if actions else "?"
        parts = ([star_reason] if star_reason else []) + ([f"{act} on {', '.join(resources)}"] if resources else [])
        self.ok(where, label, "; ".join(parts))

    def principal(self, s):
        p = s.get("Principal")
        if p is None:
            return ["resource policy statement without Principal"] if "NotPrincipal" not in s else \
                ["Allow with NotPrincipal grants every other principal"]
        values = [p] if isinstance(p, str) else [v for vs in p.values() for v in as_list(vs)] if isinstance(p, dict) else []
        if "*" in values and not s.get("Condition"):
            return ['Principal "*" without a Condition']
        return []

    # -- resources
    def resource(self, r, actions):
        """(how to show it, None) when r names a resource of this template, else (None, reason)."""
        k, a = intrinsic(r)
        if k == "Ref":
            if a in self.owned:
                return f"!Ref {a}", None
            if a in PARAMETER_RESOURCES and a in self.parameters:
                allowed, reason = PARAMETER_RESOURCES[a]
                if not set(actions) <= allowed:
                    return None, (f"!Ref {a}: only {', '.join(sorted(allowed))} may be granted on it, "
                                  f"not {', '.join(sorted(set(actions) - allowed))}")
                return f"!Ref {a} ({reason})", None
            return None, self.not_owned("!Ref", a)
        if k == "Fn::GetAtt":
            target = getatt_target(a)
            if target in self.owned:
                return f"!GetAtt {target}", None
            return None, self.not_owned("!GetAtt", target)
        if k in ("Fn::Sub", "Fn::Join") or isinstance(r, str):
            parts = self.parts(r)
            if parts is None:
                return None, f"resource {json.dumps(r)} cannot be checked"
            return self.arn(parts, actions)
        return None, f"resource {json.dumps(r)} is not a !Ref/!GetAtt/!Sub of this template"

    def not_owned(self, how, name):
        if name in self.parameters:
            return f"{how} {name} is a parameter, not a resource of this template"
        return f"{how} {name} is not a resource of this template"

    def parts(self, v, variables=None):
        """The value as [(kind, text)]: kind lit | res | stack | pseudo | param | unknown."""
        k, a = intrinsic(v)
        if isinstance(v, str):
            return [("lit", v)]
        if k == "Ref":
            return [self.classify(a)]
        if k == "Fn::GetAtt":
            target = getatt_target(a)
            return [("res", target) if target in self.owned else ("unknown", str(target))]
        if k == "Fn::Join" and isinstance(a, list) and len(a) == 2 and isinstance(a[0], str):
            out = []
            for i, item in enumerate(as_list(a[1])):
                sub = self.parts(item)
                if sub is None:
                    return None
                if i:
                    out.append(("lit", a[0]))
                out.extend(sub)
            return out
        if k == "Fn::Sub":
            text, variables = (a, {}) if isinstance(a, str) else (a[0], a[1] if len(a) > 1 else {})
            if not isinstance(text, str) or not isinstance(variables, dict):
                return None
            out, pos = [], 0
            for m in re.finditer(r"\$\{([^}]*)\}", text):
                out.append(("lit", text[pos:m.start()]))
                name = m.group(1)
                if name.startswith("!"):
                    out.append(("lit", "${" + name[1:] + "}"))
                elif name in variables:
                    sub = self.parts(variables[name])
                    if sub is None:
                        return None
                    out.extend(sub)
                else:
                    out.append(self.classify(name if name.startswith("AWS::") else name.split(".", 1)[0]))
                pos = m.end()
            out.append(("lit", text[pos:]))
            return [p for p in out if p != ("lit", "")]
        return None

    def classify(self, name):
        if name == "AWS::StackName":
            return ("stack", name)
        if isinstance(name, str) and name.startswith("AWS::"):
            return ("pseudo", name)
        if name in self.owned:
            return ("res", name)
        if name in self.parameters:
            return ("param", name)
        return ("unknown", str(name))

    def arn(self, parts, actions):
        shown = lambda raw: re.sub("\x00(\\d+)\x00", lambda m: "${" + parts[int(m.group(1))][1] + "}", raw)  # noqa: E731
        # Tokens become opaque placeholders, so the colons of ${AWS::Region} do not split fields.
        raw = "".join(t if k == "lit" else f"\x00{i}\x00" for i, (k, t) in enumerate(parts))
        text = shown(raw)
        unknown = [t for k, t in parts if k == "unknown"]
        if unknown:
            return None, f"{text}: {', '.join(unknown)} is not a resource of this template"
        if len(parts) == 1 and parts[0][0] == "res":
            return f"!Sub {text}", None
        fields = raw.split(":", 5)
        if len(fields) < 6 or fields[0] != "arn":
            return None, f"{text} is not an ARN of this template's resources"
        _, partition, service, region, account, rest = (shown(f) for f in fields)
        if partition not in PARTITIONS:
            return None, f"{text}: partition {partition!r} is not ${{AWS::Partition}}"
        if region != "${AWS::Region}" and not (region == "" and service in GLOBAL_SERVICES):
            return None, f"{text}: region {region or '(none)'} is not ${{AWS::Region}}"
        if account != "${AWS::AccountId}" and not (account == "" and service == "s3"):
            return None, f"{text}: account {account or '(none)'} is not ${{AWS::AccountId}}"
        for svc, pattern, allowed, reason in ARN_EXCEPTIONS:
            if svc == service and re.fullmatch(pattern, rest):
                if not set(actions) <= allowed:
                    return None, (f"{text}: only {', '.join(sorted(allowed))} may be granted on it, "
                                  f"not {', '.join(sorted(set(actions) - allowed))}")
                return f"{rest} ({reason})", None
        # The resource part must name something the stack owns, with any wildcard after it.
        owned = [m.start() for m in re.finditer("\x00(\\d+)\x00", fields[5])
                 if parts[int(m.group(1))][0] in ("res", "stack")]
        if not owned:
            params = [t for k, t in parts if k == "param"]
            why = f" (parameter {', '.join(params)} is not a resource)" if params else ""
            return None, f"{text}: names no resource of this template{why}"
        if re.search(r"[*?]", fields[5][:owned[0]]):
            return None, f"{text}: wildcard before the name of this template's resource"
        return rest, None

    # -- the IAM model
    def sms_cannot_reach_topics(self):
        """Whoever may publish an SMS (sns:Publish on "*") is denied publishing to topics."""
        for where, statements in self.identity.items():
            publish = [s for s in statements if "sns:Publish" in actions_of(s)]
            allows = [s for s in publish if s.get("Effect") == "Allow"]
            if not any(r == "*" for s in allows for r in resources_of(s)):
                continue
            endpoints = any(":endpoint/" in arn_text(r) for s in allows for r in resources_of(s))
            denies = [s for s in publish if s.get("Effect") == "Deny"
                      and any(re.fullmatch(SNS_ANY_ARN, arn_text(r)) for r in resources_of(s))]
            if not endpoints:
                good = any(not s.get("Condition") for s in denies)
                need = "an unconditional Deny of sns:Publish on arn:<partition>:sns:*:*:* (it sends no push)"
            else:
                keys = {k.lower() for s in denies for k in condition_keys(s)}
                good = {"aws:resourceaccount", "aws:requestedregion"} <= keys
                need = ("Denies of sns:Publish on arn:<partition>:sns:*:*:* for other accounts (aws:ResourceAccount) "
                        "and other regions (aws:RequestedRegion)")
            if good:
                self.ok(where, "SMS publishing", f"{len(denies)} Deny(s) keep sns:Publish on * away from topics")
            else:
                self.fail(where, "SMS publishing", f'sns:Publish on "*" reaches every topic: add {need}')

    def service_trust_is_conditioned(self):
        """A role a service assumes is trusted only for this account's own source."""
        for name, r in self.resources.items():
            if not isinstance(r, dict) or r.get("Type") != "AWS::IAM::Role":
                continue
            doc = (r.get("Properties") or {}).get("AssumeRolePolicyDocument")
            for s in as_list((doc or {}).get("Statement") or []) if isinstance(doc, dict) else []:
                for s in branches(s):
                    if not isinstance(s, dict) or s.get("Effect") != "Allow":
                        continue
                    principal = s.get("Principal")
                    services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
                    keys = {k.lower() for k in condition_keys(s)}
                    for svc in services:
                        if not isinstance(svc, str) or svc in NO_SOURCE_SERVICES:
                            continue
                        missing = [k for k in ("aws:SourceAccount", "aws:SourceArn") if k.lower() not in keys]
                        if missing:
                            self.fail(name, f"trust of {svc}", f"no {' or '.join(missing)} condition: any "
                                      f"{svc} caller, in any account, could act through the role")
                        else:
                            self.ok(name, f"trust of {svc}", "conditioned on aws:SourceAccount and aws:SourceArn")

    def bus_policies(self):
        """Each bus denies `source: forewarn` and the producers' sources to all but named
        principals, and its rules match only sources restricted so."""
        for bus, r in self.resources.items():
            if not isinstance(r, dict) or r.get("Type") != "AWS::Events::EventBus":
                continue
            statements = []
            policy = (r.get("Properties") or {}).get("Policy")
            if isinstance(policy, dict):
                statements += [s for st in as_list(policy.get("Statement") or []) for s in branches(st)]
            for p in self.resources.values():
                props = p.get("Properties") or {} if isinstance(p, dict) else {}
                if isinstance(p, dict) and p.get("Type") == "AWS::Events::EventBusPolicy" \
                        and refers_to(props.get("EventBusName"), bus):
                    statements += branches(props.get("Statement"))
            restricted = set()
            for s in statements:
                if not isinstance(s, dict) or s.get("Effect") != "Deny" or "events:PutEvents" not in actions_of(s):
                    continue
                cond = s.get("Condition") if isinstance(s.get("Condition"), dict) else {}
                if not any(op in NEGATED_OPERATORS and isinstance(v, dict) and "aws:principalarn" in
                           {k.lower() for k in v} for op, v in cond.items()):
                    continue
                for op, v in cond.items():
                    if op in ("StringEquals", "StringLike") and isinstance(v, dict):
                        for key, value in v.items():
                            if key.lower() == "events:source":
                                restricted |= source_values(value)
            if "forewarn" in restricted:
                self.ok(bus, "source forewarn", "denied to every principal but the named ones")
            else:
                self.fail(bus, "source forewarn", "no bus policy Deny of events:PutEvents with source forewarn to "
                          "principals other than forewarn's (anyone who may PutEvents could forge its events)")
            if restricted - {"forewarn"}:
                self.ok(bus, "producers' sources", "denied to every principal but the named ones")
            else:
                self.fail(bus, "producers' sources", "no bus policy Deny of events:PutEvents with the producers' "
                          "sources to principals other than the producers'")
            for where, event, pattern in self.rules_on(bus):
                sources = source_values(pattern.get("source")) if isinstance(pattern, dict) else set()
                if not sources:
                    self.fail(where, f"rule {event}", "matches any source: whoever may put on the bus triggers it")
                elif sources - restricted:
                    self.fail(where, f"rule {event}", f"matches source(s) the bus policy does not restrict: "
                              f"{', '.join(sorted(map(str, sources - restricted)))}")
                else:
                    self.ok(where, f"rule {event}", "matches only sources the bus policy restricts")

    def rules_on(self, bus):
        """(resource, event, pattern) of every rule on `bus`: SAM EventBridgeRule events and AWS::Events::Rule."""
        for name, r in self.resources.items():
            if not isinstance(r, dict):
                continue
            props = r.get("Properties") or {}
            if r.get("Type") == "AWS::Serverless::Function":
                for event, e in (props.get("Events") or {}).items():
                    ep = (e or {}).get("Properties") or {}
                    if (e or {}).get("Type") == "EventBridgeRule" and refers_to(ep.get("EventBusName"), bus):
                        yield name, event, ep.get("Pattern")
            elif r.get("Type") == "AWS::Events::Rule" and refers_to(props.get("EventBusName"), bus):
                yield name, "pattern", props.get("EventPattern")


SNS_ANY_ARN = r"arn:(\$\{AWS::Partition\}|aws[a-z-]*):sns:\*:\*:\*"


def actions_of(s):
    return {a for a in as_list(s.get("Action", [])) for a in branches(a) if isinstance(a, str)}


def resources_of(s):
    return [r for r in as_list(s.get("Resource", [])) for r in branches(r)]


def arn_text(r):
    """The text of an ARN given as a string or a !Sub, else ""."""
    k, a = intrinsic(r)
    if isinstance(r, str):
        return r
    if k == "Fn::Sub":
        return a if isinstance(a, str) else a[0] if isinstance(a, list) and a and isinstance(a[0], str) else ""
    return ""


def condition_keys(s):
    cond = s.get("Condition")
    return [k for v in cond.values() if isinstance(v, dict) for k in v] if isinstance(cond, dict) else []


def refers_to(v, name):
    """Whether v is a !Ref, !GetAtt or ${} !Sub of resource `name`."""
    k, a = intrinsic(v)
    return (k == "Ref" and a == name) or (k == "Fn::GetAtt" and getatt_target(a) == name) \
        or (k == "Fn::Sub" and isinstance(a, str) and re.fullmatch(r"\$\{" + re.escape(name) + r"(\.\w+)?\}", a))


def source_values(v):
    """The sources an event-pattern or condition value names: literals, and ("param", P) for !Ref P."""
    out = set()
    for item in as_list(v) if v is not None else []:
        for item in branches(item):
            k, a = intrinsic(item)
            if isinstance(item, str):
                out.add(item)
            elif k == "Ref":
                out.add(("param", a))
            else:
                out.add(("other", json.dumps(item)))
    return out


def substitute(value, params, args):
    """A SAM policy template's definition with {"Ref": <parameter>} replaced by its argument."""
    if isinstance(value, dict):
        k, a = intrinsic(value)
        if k == "Ref" and a in params:
            return args.get(a, value)
        return {key: substitute(v, params, args) for key, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, params, args) for v in value]
    return value


def check(template, templates=None):
    return Checker(template, templates).run()


# --- self-test -------------------------------------------------------------------------------

GOOD = """
Parameters:
  SenderEmail: {Type: String}
  KmsKeyArn: {Type: String}
  ProducerSources: {Type: CommaDelimitedList}
Conditions:
  HasKmsKey: !Not [!Equals [!Ref KmsKeyArn, ""]]
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Bus: {Type: AWS::Events::EventBus}
  OnlyProducers:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: OnlyProducers
      Statement:
        Effect: Deny
        Principal: "*"
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
        Condition:
          StringEquals: {events:source: !Ref ProducerSources}
          ArnNotLike: {aws:PrincipalArn: ["arn:aws:iam::111122223333:role/core"]}
  OnlyForewarn:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: OnlyForewarn
      Statement:
        Effect: Deny
        Principal: "*"
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
        Condition:
          StringEquals: {events:source: forewarn}
          ArnNotEquals: {aws:PrincipalArn: [!GetAtt OneRole.Arn, !GetAtt TwoRole.Arn]}
  ScheduleGroup: {Type: AWS::Scheduler::ScheduleGroup}
  SchedulerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: scheduler.amazonaws.com}
            Action: sts:AssumeRole
            Condition:
              StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}
              ArnLike: {aws:SourceArn: !Sub "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*"}
  Topic: {Type: AWS::SNS::Topic}
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement:
          - {Sid: ServicePublishes, Effect: Allow, Principal: {Service: sms-voice.amazonaws.com},
             Action: sns:Publish, Resource: !Ref Topic}
  One:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Rule:
          Type: EventBridgeRule
          Properties: {EventBusName: !Ref Bus, Pattern: {source: !Ref ProducerSources, detail-type: [LowBalance]}}
        Replies:
          Type: EventBridgeRule
          Properties: {EventBusName: !Ref Bus, Pattern: {source: [forewarn], detail-type: [TransactionConfirmed]}}
      Policies: &shared
        - EventBridgePutEventsPolicy: {EventBusName: !Ref Bus}
        - Statement:
            - Sid: Table
              Effect: Allow
              Action: [dynamodb:Query, dynamodb:PutItem]
              Resource: !GetAtt Table.Arn
            - !If
              - HasKmsKey
              - {Sid: Key, Effect: Allow, Action: [kms:Decrypt, kms:GenerateDataKey], Resource: !Ref KmsKeyArn}
              - !Ref AWS::NoValue
            - {Sid: SmsToPhoneNumbers, Effect: Allow, Action: sns:Publish, Resource: "*"}
            - {Sid: NoTopics, Effect: Deny, Action: sns:Publish, Resource: !Sub "arn:${AWS::Partition}:sns:*:*:*"}
            - Sid: Schedules
              Effect: Allow
              Action: [scheduler:CreateSchedule, scheduler:DeleteSchedule]
              Resource: !Sub arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*
            - Sid: Email
              Effect: Allow
              Action: ses:SendEmail
              Resource: !Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}
            - Sid: Invoke
              Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-two
  Two:
    Type: AWS::Serverless::Function
    Properties:
      Policies: *shared
"""


def _function(policies):
    return ("Parameters:\n  TableParam: {Type: String}\nResources:\n  Table: {Type: AWS::DynamoDB::Table}\n"
            "  Bucket: {Type: AWS::S3::Bucket}\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      Policies:\n" + "".join("        " + line + "\n" for line in policies.strip("\n").split("\n")))


BAD = {
    'Resource "*" without an allowed Sid': _function("""
- Statement:
    - {Sid: ReadEverything, Effect: Allow, Action: s3:GetObject, Resource: "*"}"""),
    'Resource "*" without a Sid': _function("""
- Statement:
    - {Effect: Allow, Action: dynamodb:GetItem, Resource: "*"}"""),
    "an s3:* action": _function("""
- Statement:
    - {Sid: Bucket, Effect: Allow, Action: "s3:*", Resource: !GetAtt Bucket.Arn}"""),
    'an action "*"': _function("""
- Statement:
    - {Sid: Bucket, Effect: Allow, Action: "*", Resource: !GetAtt Bucket.Arn}"""),
    "a DynamoDBCrudPolicy with a literal table name": _function("""
- DynamoDBCrudPolicy: {TableName: customers}"""),
    "a DynamoDBCrudPolicy on a parameter": _function("""
- DynamoDBCrudPolicy: {TableName: !Ref TableParam}"""),
    "a DynamoDBCrudPolicy on an unknown name": _function("""
- DynamoDBCrudPolicy: {TableName: !Ref Elsewhere}"""),
    "an unknown SAM policy template": _function("""
- MadeUpPolicy: {TableName: !Ref Table}"""),
    "a parameterless SAM policy template": _function("""
- CloudWatchPutMetricPolicy: {}"""),
    "a literal ARN": _function("""
- Statement:
    - {Sid: Other, Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::someone-elses/*"}"""),
    "a !Sub ARN naming nothing of the template": _function("""
- Statement:
    - Sid: AllTables
      Effect: Allow
      Action: dynamodb:GetItem
      Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"""),
    "a wildcard before the template's name": _function("""
- Statement:
    - Sid: Tables
      Effect: Allow
      Action: dynamodb:GetItem
      Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*${Table}"""),
    "another account": _function("""
- Statement:
    - Sid: Tables
      Effect: Allow
      Action: dynamodb:GetItem
      Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:123456789012:table/${Table}"""),
    "an allowed Sid granting another action on *": _function("""
- Statement:
    - {Sid: SmsToPhoneNumbers, Effect: Allow, Action: [sns:Publish, sns:DeleteTopic], Resource: "*"}"""),
    "an exception ARN with another action": _function("""
- Statement:
    - Sid: Endpoints
      Effect: Allow
      Action: sns:DeleteEndpoint
      Resource: !Sub arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/*"""),
    "an AWS managed policy": _function("""
- AmazonS3FullAccess"""),
    "an Allow with NotAction": _function("""
- Statement:
    - {Sid: Most, Effect: Allow, NotAction: iam:*, Resource: !GetAtt Bucket.Arn}"""),
    "a queue policy open to everyone": """
Resources:
  Queue: {Type: AWS::SQS::Queue}
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement:
          - {Sid: Anyone, Effect: Allow, Principal: "*", Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}
""",
    "a DynamoDBCrudPolicy on the template's own table": _function("""
- DynamoDBCrudPolicy: {TableName: !Ref Table}"""),
    "the KmsKeyArn parameter granted another action": _function("""
- Statement:
    - {Sid: Key, Effect: Allow, Action: [kms:Decrypt, kms:CreateGrant], Resource: !Ref KmsKeyArn}""").replace(
        "TableParam: {Type: String}", "TableParam: {Type: String}\n  KmsKeyArn: {Type: String}"),
    "SMS on * with no Deny of topics": _function("""
- Statement:
    - {Sid: SmsToPhoneNumbers, Effect: Allow, Action: sns:Publish, Resource: "*"}"""),
    "SMS on * without push, with only a conditional Deny of topics": _function("""
- Statement:
    - {Sid: SmsToPhoneNumbers, Effect: Allow, Action: sns:Publish, Resource: "*"}
    - Sid: NoOtherAccounts
      Effect: Deny
      Action: sns:Publish
      Resource: !Sub "arn:${AWS::Partition}:sns:*:*:*"
      Condition: {StringNotEquals: {aws:ResourceAccount: !Ref AWS::AccountId}}"""),
    "SMS and push on * with other regions' topics allowed": _function("""
- Statement:
    - Sid: Push
      Effect: Allow
      Action: sns:Publish
      Resource: !Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/*"
    - {Sid: SmsToPhoneNumbers, Effect: Allow, Action: sns:Publish, Resource: "*"}
    - Sid: NoOtherAccounts
      Effect: Deny
      Action: sns:Publish
      Resource: !Sub "arn:${AWS::Partition}:sns:*:*:*"
      Condition: {StringNotEquals: {aws:ResourceAccount: !Ref AWS::AccountId}}"""),
    "a scheduler role trusted without a source ARN": """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: scheduler.amazonaws.com}
            Action: sts:AssumeRole
            Condition: {StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}}
""",
    "a bus without a policy": """
Resources:
  Bus: {Type: AWS::Events::EventBus}
""",
    "a bus that lets anyone put source forewarn": """
Parameters:
  ProducerSources: {Type: CommaDelimitedList}
Resources:
  Bus: {Type: AWS::Events::EventBus}
  OnlyProducers:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: OnlyProducers
      Statement:
        Effect: Deny
        Principal: "*"
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
        Condition:
          StringEquals: {events:source: !Ref ProducerSources}
          ArnNotLike: {aws:PrincipalArn: ["arn:aws:iam::111122223333:role/core"]}
""",
    "a rule on the bus that matches any source": GOOD.replace(
        "Properties: {EventBusName: !Ref Bus, Pattern: {source: !Ref ProducerSources, detail-type: [LowBalance]}}",
        "Properties: {EventBusName: !Ref Bus, Pattern: {detail-type: [LowBalance]}}"),
    "a role policy on *": """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Sid: Invoke, Effect: Allow, Action: lambda:InvokeFunction, Resource: "*"}
""",
}


def self_test():
    templates = policy_templates()
    failures = []
    good = check(load(GOOD), templates)
    if good.violations:
        failures.append("the good template was rejected:\n  " + "\n  ".join(good.violations))
    elif len(good.lines) != 26:
        failures.append("the good template: expected 26 lines (2 bus policy statements, the topic policy, 8 "
                        "statements per function through the anchor, then SMS publishing per function, the "
                        "scheduler's trust, the bus's 2 restrictions and its 2 rules), got:\n  " + "\n  ".join(good.lines))
    for what, text in BAD.items():
        result = check(load(text), templates)
        if not result.violations:
            failures.append(f"{what}: accepted\n  " + "\n  ".join(result.lines))
        elif not all(re.match(r"FAIL (Fn|QueuePolicy|Role|Bus|One|Two) ", v) for v in result.violations):
            failures.append(f"{what}: the failure does not name the resource\n  " + "\n  ".join(result.violations))
    if failures:
        print("check_iam self-test failed:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    print(f"check_iam self-test: good template accepted, {len(BAD)} bad ones rejected", file=sys.stderr)
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    path = argv[0]
    try:
        with open(path) as f:
            template = load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"check_iam: cannot read {path}: {e}", file=sys.stderr)
        return 2
    result = check(template, policy_templates())
    print("\n".join(result.lines))
    if result.violations:
        print(f"check_iam: {path}: {len(result.violations)} IAM statement(s) not scoped to this template's "
              "resources (the FAIL lines above name the resource and Sid)", file=sys.stderr)
        return 1
    print(f"check_iam: {path}: {len(result.lines)} IAM statements and model checks, all scoped to the template's "
          "own resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
