// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IConsortium
/// @notice Membership, signer keys, quorum governance and the subject-tag key version of the
/// yrdx exchange. A member is a province, identified by its GB/T 2260 code (31 Shanghai,
/// 32 Jiangsu, 33 Zhejiang, 34 Anhui); each member writes through exactly one signer address.
interface IConsortium {
    /// @notice What a proposal asks the consortium to do.
    enum ProposalKind {
        None,
        AddMember,
        RemoveMember,
        RotateSigner,
        SetQuorum,
        BumpTagKeyVersion,
        Call
    }

    /// @notice Lifecycle of a proposal as seen by {proposalState}.
    enum ProposalState {
        None,
        Pending,
        Executed,
        Expired
    }

    event MemberAdded(uint8 indexed code, address indexed signer);
    event MemberRemoved(uint8 indexed code, address indexed signer);
    event SignerRotated(uint8 indexed code, address indexed previousSigner, address indexed newSigner);
    event QuorumChanged(uint8 previousQuorum, uint8 newQuorum);
    event TagKeyVersionBumped(uint32 newVersion);
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind indexed kind,
        uint8 indexed proposer,
        uint64 expiresAt,
        bytes payload
    );
    event Voted(uint256 indexed proposalId, uint8 indexed voter, uint8 votes, uint8 quorum);
    event ProposalExecuted(uint256 indexed proposalId, ProposalKind indexed kind);

    error ConsortiumNotAMember(address account);
    error ConsortiumUnknownMember(uint8 code);
    error ConsortiumMemberExists(uint8 code);
    error ConsortiumSignerInUse(address signer);
    error ConsortiumInvalidMemberCode(uint8 code);
    error ConsortiumZeroAddress();
    error ConsortiumInvalidQuorum(uint8 quorum, uint256 memberCount);
    error ConsortiumQuorumUnreachable(uint8 quorum, uint256 memberCountAfter);
    error ConsortiumUnknownProposal(uint256 proposalId);
    error ConsortiumProposalExpired(uint256 proposalId, uint64 expiredAt);
    error ConsortiumProposalExecuted(uint256 proposalId);
    error ConsortiumAlreadyVoted(uint256 proposalId, uint8 voter);
    error ConsortiumInvalidCallTarget(address target);
    error ConsortiumFoundingMismatch(uint256 codes, uint256 signers);
    error ConsortiumStaleProposal(uint256 proposalId);
    error ConsortiumQuorumNotReached(uint256 proposalId, uint8 votes, uint8 quorum);

    /// @notice The member code and current subject-tag key version for a signer.
    /// @dev Requirements: `signer` is the current signer of an active member.
    function memberOf(address signer) external view returns (uint8 code, uint32 tagKeyVersion);

    /// @notice The current signer of member `code`, or the zero address when it is no member.
    function signerOf(uint8 code) external view returns (address);

    /// @notice Whether `code` is an active member.
    function isMember(uint8 code) external view returns (bool);

    /// @notice The active member codes in ascending order.
    function members() external view returns (uint8[] memory);

    /// @notice Number of votes a proposal needs to be executed.
    function quorum() external view returns (uint8);

    /// @notice Version of the consortium key from which subject tags are derived.
    function tagKeyVersion() external view returns (uint32);
}
