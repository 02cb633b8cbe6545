// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// FOR LOCAL CHAINS ONLY (make demo, tests): an ERC-20 with 6 decimals whose mint is open to
/// anyone. blockhost-deploy-contracts deploys it only when asked for a test stablecoin.
contract TestStablecoin is ERC20 {
    constructor() ERC20("Test USD Coin", "tUSDC") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
