// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// Test fixture: a Uniswap V2 pair's reserve interface with reserves the test sets.
contract MockPair {
    address public token0;
    address public token1;
    uint112 private r0;
    uint112 private r1;

    constructor(address a, address b) {
        token0 = a;
        token1 = b;
    }

    function setReserves(uint112 a, uint112 b) external {
        r0 = a;
        r1 = b;
    }

    function getReserves() external view returns (uint112, uint112, uint32) {
        return (r0, r1, uint32(block.timestamp));
    }
}
