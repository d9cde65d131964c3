"""The kit's ``README.md``: how to start each node, deploy the contracts and point each province at its node."""

from __future__ import annotations

from node.besu.config import RPC_APIS
from node.besu.network import Network


def kit_readme(network: Network) -> str:
    """Operator instructions for ``network``, with its hosts, ports and addresses filled in."""
    p, t, first = network.params, network.tolerance, network.nodes[0]
    rows = "\n".join(
        f"| `{n.name}` | {n.member.code} | `{n.address}` | `{n.host}:{n.p2p_port}` | `{n.rpc_url}` |"
        for n in network.nodes
    )
    members = " ".join(f"--member {n.member.code}=<signer of {n.name}>" for n in network.nodes)
    accounts = (
        "\n".join(f"- `{a.address}`: {a.role}, {a.balance} wei" for a in network.accounts)
        or "- none (give `--signer CODE=ADDRESS` and `--deployer ADDRESS` to list them)"
    )
    return f"""# yrdx QBFT network kit

Hyperledger Besu, QBFT, chain id {p.chain_id}: {len(network.nodes)} validators, one per member.
At least {p.block_period_seconds} s between blocks, round timeout {p.request_timeout_seconds} s,
epoch {p.epoch_length} blocks, block gas limit {p.block_gas_limit}. Gas is free: `zeroBaseFee` in the
genesis and `min-gas-price=0` on every node.

| node | member | validator address | p2p | JSON-RPC |
|------|--------|-------------------|-----|----------|
{rows}

A block needs {t.quorum} of the {t.validators} validators: the chain keeps producing blocks with
{t.stopped} of them down, and stays safe with up to {t.byzantine} misbehaving. With more down it
stops producing blocks until enough come back; nothing committed is lost.

## Files

- `genesis.json`: the same on every node. `extraData` lists the validators in ascending order.
- `<node>/key`: the node's private key (mode 0600; it is the validator's identity, keep it
  secret and backed up). `<node>/key.pub`: its public key, the id in its enode URL.
- `<node>/config.toml`: the node's Besu configuration; its paths are relative to `<node>/`.
- `<node>/static-nodes.json`, `<node>/permissions_config.toml`: the other validators' enode URLs,
  the peers the node keeps connected to and the only ones it admits.
- `static-nodes.json`, `permissions_config.toml`: every node's enode URL, for a node that joins later.
- `network.json`: all of the above as data.

## 1. Start the nodes

Give each province its `<node>/` directory and `genesis.json`, side by side as here, on the host
named in the table. On each host, from inside the node's directory:

```sh
cd {first.name} && besu --config-file=config.toml
```

Start order does not matter; blocks come once {t.quorum} validators are connected. Check from a
province's own host:

```sh
curl -s -H 'content-type: application/json' {first.rpc_url} \\
  --data '{{"jsonrpc":"2.0","id":1,"method":"qbft_getValidatorsByBlockNumber","params":["latest"]}}'
curl -s -H 'content-type: application/json' {first.rpc_url} \\
  --data '{{"jsonrpc":"2.0","id":1,"method":"net_peerCount","params":[]}}'
```

The node serves JSON-RPC APIs {", ".join(RPC_APIS)} on its own host only; let only the province's
adapter, gateway and operators reach that port (QBFT can vote validators in and out).

## 2. Deploy the contracts once

From any province, against its own node:

```sh
yrdx deploy --rpc {first.rpc_url} --keystore deployer.json {members}
```

The deployer's keystore password comes from `YRDX_LEDGER_PASSWORD_FILE` or `YRDX_LEDGER_PASSWORD`.
Give the resulting `deployment.json` to every province; `yrdx deploy` run again with it against
any node verifies the deployment instead of deploying twice.

Genesis accounts:

{accounts}

No account needs a balance on a free-gas network; a nominal one keeps a signer working if some
client ever pays a priority fee and raises `eth_maxPriorityFeePerGas` above zero.

## 3. Point each province at its own node

Each province's adapter and gateway talk to the province's own node only:

```sh
export YRDX_LEDGER_RPC_URL=<that province's JSON-RPC URL from the table>
export YRDX_LEDGER_MANIFEST=/path/to/deployment.json
```

or pass `--rpc <URL>` to `yrdx adapter ...`. Operations (adding a member, key rotation, backups,
losing a validator) are in `docs/production.md` of the yrdx repository.
"""
