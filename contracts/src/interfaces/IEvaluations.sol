// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IEvaluations
/// @notice Credit evaluation results and their mutual recognition across provinces.
///
/// A province publishes results graded in its own scheme. For each mutual-recognition domain
/// the consortium adopts, by quorum, an agreement that maps every member scheme's grades onto
/// one common YRD scale. A receiving province then recognises another's result, which fixes
/// the YRD grade it applies under the agreement in force.
///
/// Result id: `keccak256(abi.encodePacked(uint8 provinceCode, bytes32 localId))`.
/// Grades are 1-based indexes into a scheme's scale, best first.
interface IEvaluations {
    enum ResultStatus {
        None,
        Active,
        Revoked
    }

    struct NewResult {
        bytes32 localId;
        uint16 domain;
        uint32 schemeId;
        uint8 grade;
        bytes32 subjectTag;
        bytes32 commitment;
        uint40 evaluatedAt;
        uint40 validUntil;
    }

    /// @notice The state of a result, packed in one storage slot; subject tag and commitment
    /// are carried by {ResultPublished}.
    struct Result {
        uint8 province;
        ResultStatus status;
        uint16 domain;
        uint32 schemeId;
        uint8 grade;
        uint40 evaluatedAt;
        uint40 validUntil;
    }

    /// @notice How one member scheme's grades map onto the YRD scale: `yrdGrades[i]` is the
    /// YRD grade of local grade `i + 1`.
    struct SchemeMapping {
        uint8 province;
        uint32 schemeId;
        uint8[] yrdGrades;
    }

    struct Recognition {
        uint8 yrdGrade;
        uint32 agreementVersion;
        uint40 recognisedAt;
    }

    event ResultPublished(
        bytes32 indexed resultId,
        bytes32 indexed subjectTag,
        uint8 indexed province,
        bytes32 localId,
        uint16 domain,
        uint32 schemeId,
        uint8 grade,
        bytes32 commitment,
        uint40 evaluatedAt,
        uint40 validUntil
    );
    event ResultRevoked(bytes32 indexed resultId, uint8 indexed province);
    event AgreementAdopted(uint16 indexed domain, uint32 indexed version, uint8 yrdLevels);
    event SchemeMapped(
        uint16 indexed domain,
        uint32 indexed version,
        uint8 indexed province,
        uint32 schemeId,
        uint8[] yrdGrades
    );
    event ResultRecognised(
        bytes32 indexed resultId,
        uint8 indexed province,
        uint8 yrdGrade,
        uint32 agreementVersion
    );

    error EvaluationsOnlyConsortium(address account);
    error EvaluationsUnauthorized(address account, bytes32 resultId);
    error EvaluationsEmptyBatch();
    error EvaluationsResultExists(bytes32 resultId);
    error EvaluationsResultNotFound(bytes32 resultId);
    error EvaluationsZeroLocalId();
    error EvaluationsZeroCommitment(bytes32 resultId);
    error EvaluationsInvalidGrade(bytes32 resultId, uint8 grade);
    error EvaluationsInvalidValidity(bytes32 resultId, uint40 evaluatedAt, uint40 validUntil);
    error EvaluationsResultNotActive(bytes32 resultId);
    error EvaluationsResultExpired(bytes32 resultId, uint40 validUntil);
    error EvaluationsOwnResult(bytes32 resultId);
    error EvaluationsAlreadyRecognised(bytes32 resultId, uint8 province, uint32 agreementVersion);
    error EvaluationsNoAgreement(uint16 domain);
    error EvaluationsSchemeNotMapped(uint16 domain, uint8 province, uint32 schemeId);
    error EvaluationsGradeNotMapped(bytes32 resultId, uint8 grade);
    error EvaluationsInvalidAgreement(uint16 domain, uint256 index);

    /// @notice The state of result `resultId`.
    function result(bytes32 resultId) external view returns (Result memory);

    /// @notice The YRD grade under which `province` recognised `resultId`.
    /// @return recognised false when the province has not recognised the result, or the
    /// result is revoked or past its valid-until.
    function recognisedGrade(bytes32 resultId, uint8 province)
        external
        view
        returns (bool recognised, uint8 yrdGrade, uint32 agreementVersion);
}
