// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IAnchorLog
/// @notice Append-only checkpoints (tree size, root, time) of off-chain Merkle logs, such as
/// each gateway's audit trail, so that no log owner can rewrite its own past.
///
/// Stream id: `keccak256(abi.encodePacked(uint8 ownerProvince, bytes32 name))`.
interface IAnchorLog {
    struct Checkpoint {
        uint64 treeSize;
        uint40 anchoredAt;
        bytes32 root;
    }

    event StreamOpened(bytes32 indexed streamId, uint8 indexed owner, bytes32 name);
    event CheckpointAnchored(
        bytes32 indexed streamId,
        uint8 indexed owner,
        uint256 index,
        uint64 treeSize,
        bytes32 root,
        uint40 anchoredAt
    );

    error AnchorLogUnknownStream(bytes32 streamId);
    error AnchorLogStreamExists(bytes32 streamId);
    error AnchorLogUnauthorized(address account, bytes32 streamId);
    error AnchorLogTreeSizeNotGrowing(bytes32 streamId, uint64 previous, uint64 given);
    error AnchorLogZeroRoot(bytes32 streamId);
    error AnchorLogNoCheckpoint(bytes32 streamId, uint256 index);

    /// @notice The owner province of stream `streamId`, 0 when unknown.
    function ownerOf(bytes32 streamId) external view returns (uint8);

    /// @notice Number of checkpoints of stream `streamId`.
    function checkpointCount(bytes32 streamId) external view returns (uint256);

    /// @notice Checkpoint number `index` of stream `streamId`.
    function checkpoint(bytes32 streamId, uint256 index) external view returns (Checkpoint memory);

    /// @notice The newest checkpoint of stream `streamId`.
    function latestCheckpoint(bytes32 streamId) external view returns (Checkpoint memory);
}
