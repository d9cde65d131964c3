// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAnchorLog} from "./interfaces/IAnchorLog.sol";

/// @title AnchorLog
/// @notice Append-only checkpoints of off-chain Merkle logs (see {IAnchorLog}). The tree size
/// of a stream's checkpoints strictly grows; only the owner province's current signer appends.
contract AnchorLog is IAnchorLog {
    IConsortium public immutable consortium;

    mapping(bytes32 streamId => uint8 owner) private _owners;
    mapping(bytes32 streamId => Checkpoint[]) private _checkpoints;

    constructor(IConsortium consortium_) {
        consortium = consortium_;
    }

    /// @inheritdoc IAnchorLog
    function ownerOf(bytes32 streamId) external view returns (uint8) {
        return _owners[streamId];
    }

    /// @notice The stream id of `name` owned by `province`.
    function streamIdOf(uint8 province, bytes32 name) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(province, name));
    }

    /// @inheritdoc IAnchorLog
    function checkpointCount(bytes32 streamId) external view returns (uint256) {
        return _checkpoints[streamId].length;
    }

    /// @inheritdoc IAnchorLog
    function checkpoint(bytes32 streamId, uint256 index) external view returns (Checkpoint memory) {
        Checkpoint[] storage cps = _checkpoints[streamId];
        if (index >= cps.length) revert AnchorLogNoCheckpoint(streamId, index);
        return cps[index];
    }

    /// @inheritdoc IAnchorLog
    function latestCheckpoint(bytes32 streamId) external view returns (Checkpoint memory) {
        Checkpoint[] storage cps = _checkpoints[streamId];
        if (cps.length == 0) revert AnchorLogNoCheckpoint(streamId, 0);
        return cps[cps.length - 1];
    }

    /// @notice Open a stream named `name` owned by the caller's province.
    /// @dev Requirements: the caller is the current signer of a member; the stream is new.
    /// Emits {StreamOpened}.
    function openStream(bytes32 name) external returns (bytes32 streamId) {
        (uint8 province, ) = consortium.memberOf(msg.sender);
        streamId = streamIdOf(province, name);
        if (_owners[streamId] != 0) revert AnchorLogStreamExists(streamId);
        _owners[streamId] = province;
        emit StreamOpened(streamId, province, name);
    }

    /// @notice Append a checkpoint (tree size, root) to stream `streamId`.
    /// @dev Requirements: the stream exists and the caller is its owner's current signer; the
    /// tree size is larger than the previous checkpoint's; the root is non-zero.
    /// Emits {CheckpointAnchored}.
    function appendCheckpoint(bytes32 streamId, uint64 treeSize, bytes32 root) external {
        uint8 owner = _owners[streamId];
        if (owner == 0) revert AnchorLogUnknownStream(streamId);
        (uint8 province, ) = consortium.memberOf(msg.sender);
        if (province != owner) revert AnchorLogUnauthorized(msg.sender, streamId);
        if (root == bytes32(0)) revert AnchorLogZeroRoot(streamId);
        Checkpoint[] storage cps = _checkpoints[streamId];
        uint256 n = cps.length;
        uint64 previous = n == 0 ? 0 : cps[n - 1].treeSize;
        if (treeSize <= previous) revert AnchorLogTreeSizeNotGrowing(streamId, previous, treeSize);
        cps.push(Checkpoint({treeSize: treeSize, anchoredAt: uint40(block.timestamp), root: root}));
        emit CheckpointAnchored(streamId, owner, n, treeSize, root, uint40(block.timestamp));
    }
}
