// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// The reserves interface of a Uniswap V2 pair (payment methods 2 and up are priced from one).
interface IUniswapV2PairReserves {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
}

/// BlockHost subscriptions: plans priced in USD cents per day, paid in ERC-20 tokens.
/// ABI-compatible with upstream BlockHost (every selector, event and custom error); the
/// deliberate differences are listed in contracts/README.md (renewal of a deactivated plan).
contract BlockhostSubscriptions is Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Plan {
        string name;
        uint256 pricePerDayUsdCents;
        bool active;
    }

    struct Subscription {
        uint256 planId;
        address subscriber;
        uint256 expiresAt;
        bool cancelled;
    }

    struct PaymentMethod {
        address tokenAddress;
        address pairAddress;
        address stablecoinAddress;
        uint8 tokenDecimals;
        uint8 stablecoinDecimals;
        bool active;
    }

    uint256 public constant STABLECOIN_PAYMENT_ID = 1;
    uint256 private constant SECONDS_PER_DAY = 86400;
    uint256 private constant MAX_SLIPPAGE_BPS = 1000;

    uint256 public nextPlanId = 1;
    uint256 public nextSubscriptionId = 1;
    uint256 public nextPaymentMethodId = 2;
    uint256 public slippageBps = 100;
    uint256 public minLiquidityUsd = 10000 * 1e6;

    mapping(uint256 => Plan) private _plans;
    mapping(uint256 => Subscription) private _subscriptions;
    mapping(uint256 => PaymentMethod) private _paymentMethods;
    mapping(address => uint256[]) private _subscriptionsBySubscriber;

    event SubscriptionCreated(
        uint256 indexed subscriptionId,
        uint256 indexed planId,
        address indexed subscriber,
        uint256 expiresAt,
        uint256 paidAmount,
        address paymentToken,
        bytes userEncrypted
    );
    event SubscriptionExtended(
        uint256 indexed subscriptionId,
        uint256 indexed planId,
        address indexed extendedBy,
        uint256 newExpiresAt,
        uint256 paidAmount,
        address paymentToken
    );
    event SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber);
    event PlanCreated(uint256 indexed planId, string name, uint256 pricePerDayUsdCents);
    event PlanUpdated(uint256 indexed planId, string name, uint256 pricePerDayUsdCents, bool active);
    event PrimaryStablecoinSet(address indexed stablecoinAddress, uint8 decimals);
    event PaymentMethodAdded(
        uint256 indexed paymentMethodId, address tokenAddress, address pairAddress, address stablecoinAddress
    );
    event PaymentMethodUpdated(uint256 indexed paymentMethodId, bool active);
    event FundsWithdrawn(address indexed token, address indexed to, uint256 amount);
    event SlippageUpdated(uint256 oldBps, uint256 newBps);
    event MinLiquidityUpdated(uint256 oldMin, uint256 newMin);

    error PlanNotFound(uint256 planId);
    error PlanNotActive(uint256 planId);
    error PlanPriceMustBePositive();
    error SubscriptionNotFound(uint256 subscriptionId);
    error SubscriptionAlreadyCancelled(uint256 subscriptionId);
    error PaymentMethodNotFound(uint256 paymentMethodId);
    error PaymentMethodNotActive(uint256 paymentMethodId);
    error PrimaryStablecoinNotSet();
    error InvalidAddress();
    error DaysMustBePositive();
    error SlippageTooHigh();
    error NoBalanceToWithdraw();
    error TokenNotInPair();
    error InsufficientLiquidity();

    constructor() Ownable(msg.sender) {}

    // ------------------------------------------------------------------ owner: configuration

    function setPrimaryStablecoin(address stablecoin) external onlyOwner {
        if (stablecoin == address(0)) revert InvalidAddress();
        uint8 dec = IERC20Metadata(stablecoin).decimals();
        _paymentMethods[STABLECOIN_PAYMENT_ID] = PaymentMethod(stablecoin, address(0), stablecoin, dec, dec, true);
        emit PrimaryStablecoinSet(stablecoin, dec);
    }

    function createPlan(string calldata name, uint256 pricePerDayUsdCents) external onlyOwner returns (uint256) {
        if (pricePerDayUsdCents == 0) revert PlanPriceMustBePositive();
        uint256 planId = nextPlanId++;
        _plans[planId] = Plan(name, pricePerDayUsdCents, true);
        emit PlanCreated(planId, name, pricePerDayUsdCents);
        return planId;
    }

    function updatePlan(uint256 planId, string calldata name, uint256 pricePerDayUsdCents, bool active)
        external
        onlyOwner
    {
        _requirePlan(planId);
        if (pricePerDayUsdCents == 0) revert PlanPriceMustBePositive();
        _plans[planId] = Plan(name, pricePerDayUsdCents, active);
        emit PlanUpdated(planId, name, pricePerDayUsdCents, active);
    }

    function addPaymentMethod(address token, address pair, address stablecoin)
        external
        onlyOwner
        returns (uint256)
    {
        if (token == address(0) || pair == address(0) || stablecoin == address(0)) revert InvalidAddress();
        address t0 = IUniswapV2PairReserves(pair).token0();
        address t1 = IUniswapV2PairReserves(pair).token1();
        if (!((t0 == token && t1 == stablecoin) || (t0 == stablecoin && t1 == token))) revert TokenNotInPair();
        uint256 id = nextPaymentMethodId++;
        _paymentMethods[id] = PaymentMethod(
            token, pair, stablecoin, IERC20Metadata(token).decimals(), IERC20Metadata(stablecoin).decimals(), true
        );
        emit PaymentMethodAdded(id, token, pair, stablecoin);
        return id;
    }

    function updatePaymentMethod(uint256 paymentMethodId, bool active) external onlyOwner {
        _requirePaymentMethod(paymentMethodId);
        _paymentMethods[paymentMethodId].active = active;
        emit PaymentMethodUpdated(paymentMethodId, active);
    }

    function setSlippageBps(uint256 newBps) external onlyOwner {
        if (newBps > MAX_SLIPPAGE_BPS) revert SlippageTooHigh();
        emit SlippageUpdated(slippageBps, newBps);
        slippageBps = newBps;
    }

    function setMinLiquidity(uint256 newMin) external onlyOwner {
        emit MinLiquidityUpdated(minLiquidityUsd, newMin);
        minLiquidityUsd = newMin;
    }

    function withdrawFunds(address token, address to) external onlyOwner nonReentrant {
        if (token == address(0) || to == address(0)) revert InvalidAddress();
        uint256 balance = IERC20(token).balanceOf(address(this));
        if (balance == 0) revert NoBalanceToWithdraw();
        IERC20(token).safeTransfer(to, balance);
        emit FundsWithdrawn(token, to, balance);
    }

    function cancelSubscription(uint256 subscriptionId) external onlyOwner {
        Subscription storage s = _requireSubscription(subscriptionId);
        if (s.cancelled) revert SubscriptionAlreadyCancelled(subscriptionId);
        s.cancelled = true;
        s.expiresAt = block.timestamp;
        emit SubscriptionCancelled(subscriptionId, s.planId, s.subscriber);
    }

    // ------------------------------------------------------------------ buyers

    function buySubscription(uint256 planId, uint256 numDays, uint256 paymentMethodId, bytes calldata userEncrypted)
        external
        nonReentrant
        returns (uint256)
    {
        Plan storage plan = _requirePlan(planId);
        if (!plan.active) revert PlanNotActive(planId);
        if (numDays == 0) revert DaysMustBePositive();
        (uint256 amount, address token) = _charge(planId, numDays, paymentMethodId);

        uint256 subscriptionId = nextSubscriptionId++;
        uint256 expiresAt = block.timestamp + numDays * SECONDS_PER_DAY;
        _subscriptions[subscriptionId] = Subscription(planId, msg.sender, expiresAt, false);
        _subscriptionsBySubscriber[msg.sender].push(subscriptionId);
        emit SubscriptionCreated(subscriptionId, planId, msg.sender, expiresAt, amount, token, userEncrypted);
        return subscriptionId;
    }

    /// Anyone may pay for any subscription. Unlike upstream, a plan that the operator has
    /// deactivated can still be renewed by its existing subscribers: deactivation stops new
    /// sales, it does not strand paying customers (contracts/README.md).
    function extendSubscription(uint256 subscriptionId, uint256 numDays, uint256 paymentMethodId)
        external
        nonReentrant
    {
        Subscription storage s = _requireSubscription(subscriptionId);
        if (s.cancelled) revert SubscriptionAlreadyCancelled(subscriptionId);
        _requirePlan(s.planId);
        if (numDays == 0) revert DaysMustBePositive();
        (uint256 amount, address token) = _charge(s.planId, numDays, paymentMethodId);

        uint256 base = s.expiresAt > block.timestamp ? s.expiresAt : block.timestamp;
        uint256 newExpiresAt = base + numDays * SECONDS_PER_DAY;
        s.expiresAt = newExpiresAt;
        emit SubscriptionExtended(subscriptionId, s.planId, msg.sender, newExpiresAt, amount, token);
    }

    // ------------------------------------------------------------------ views

    function daysRemaining(uint256 subscriptionId) external view returns (uint256) {
        Subscription storage s = _requireSubscription(subscriptionId);
        if (s.cancelled || s.expiresAt <= block.timestamp) return 0;
        return (s.expiresAt - block.timestamp) / SECONDS_PER_DAY;
    }

    function getSubscription(uint256 subscriptionId)
        external
        view
        returns (uint256 planId, address subscriber, uint256 expiresAt, bool isActive, bool cancelled)
    {
        Subscription storage s = _requireSubscription(subscriptionId);
        return (s.planId, s.subscriber, s.expiresAt, _isActive(s), s.cancelled);
    }

    function isSubscriptionActive(uint256 subscriptionId) external view returns (bool) {
        return _isActive(_requireSubscription(subscriptionId));
    }

    function getPlan(uint256 planId) external view returns (string memory name, uint256 pricePerDayUsdCents, bool active) {
        Plan storage p = _requirePlan(planId);
        return (p.name, p.pricePerDayUsdCents, p.active);
    }

    function getPrimaryStablecoin() external view returns (address) {
        return _paymentMethods[STABLECOIN_PAYMENT_ID].tokenAddress;
    }

    function getPaymentMethodIds() external view returns (uint256[] memory ids) {
        bool hasPrimary = _paymentMethods[STABLECOIN_PAYMENT_ID].tokenAddress != address(0);
        uint256 n = (nextPaymentMethodId - 2) + (hasPrimary ? 1 : 0);
        ids = new uint256[](n);
        uint256 k = 0;
        if (hasPrimary) ids[k++] = STABLECOIN_PAYMENT_ID;
        for (uint256 id = 2; id < nextPaymentMethodId; id++) ids[k++] = id;
    }

    function getPaymentMethod(uint256 paymentMethodId)
        external
        view
        returns (
            address tokenAddress,
            address pairAddress,
            address stablecoinAddress,
            uint8 tokenDecimals,
            uint8 stablecoinDecimals,
            bool active
        )
    {
        PaymentMethod storage m = _requirePaymentMethod(paymentMethodId);
        return (m.tokenAddress, m.pairAddress, m.stablecoinAddress, m.tokenDecimals, m.stablecoinDecimals, m.active);
    }

    function calculatePayment(uint256 planId, uint256 numDays, uint256 paymentMethodId)
        public
        view
        returns (uint256)
    {
        Plan storage plan = _requirePlan(planId);
        if (numDays == 0) revert DaysMustBePositive();
        PaymentMethod storage m = _requirePaymentMethod(paymentMethodId);
        uint256 cents = plan.pricePerDayUsdCents * numDays;
        if (paymentMethodId == STABLECOIN_PAYMENT_ID) {
            return (cents * (10 ** m.stablecoinDecimals)) / 100;
        }
        (uint256 tokenReserve, uint256 stableReserve) = _reserves(m);
        uint256 stableUnits = (cents * (10 ** m.stablecoinDecimals)) / 100;
        uint256 amount = (stableUnits * tokenReserve) / stableReserve;
        return amount + (amount * slippageBps) / 10000;
    }

    function getTokenPriceUsdCents(uint256 paymentMethodId) external view returns (uint256) {
        PaymentMethod storage m = _requirePaymentMethod(paymentMethodId);
        if (paymentMethodId == STABLECOIN_PAYMENT_ID) return 100;
        (uint256 tokenReserve, uint256 stableReserve) = _reserves(m);
        return (stableReserve * (10 ** m.tokenDecimals) * 100) / (tokenReserve * (10 ** m.stablecoinDecimals));
    }

    function getTotalSubscriptionCount() external view returns (uint256) {
        return nextSubscriptionId - 1;
    }

    function getTotalPlanCount() external view returns (uint256) {
        return nextPlanId - 1;
    }

    function getSubscriptionsBySubscriber(address subscriber) external view returns (uint256[] memory) {
        return _subscriptionsBySubscriber[subscriber];
    }

    // ------------------------------------------------------------------ internal

    function _isActive(Subscription storage s) private view returns (bool) {
        return !s.cancelled && s.expiresAt > block.timestamp;
    }

    function _requirePlan(uint256 planId) private view returns (Plan storage p) {
        if (planId == 0 || planId >= nextPlanId) revert PlanNotFound(planId);
        return _plans[planId];
    }

    function _requireSubscription(uint256 subscriptionId) private view returns (Subscription storage s) {
        if (subscriptionId == 0 || subscriptionId >= nextSubscriptionId) revert SubscriptionNotFound(subscriptionId);
        return _subscriptions[subscriptionId];
    }

    function _requirePaymentMethod(uint256 paymentMethodId) private view returns (PaymentMethod storage m) {
        if (paymentMethodId == STABLECOIN_PAYMENT_ID) {
            m = _paymentMethods[STABLECOIN_PAYMENT_ID];
            if (m.tokenAddress == address(0)) revert PrimaryStablecoinNotSet();
            return m;
        }
        if (paymentMethodId < 2 || paymentMethodId >= nextPaymentMethodId) {
            revert PaymentMethodNotFound(paymentMethodId);
        }
        return _paymentMethods[paymentMethodId];
    }

    /// Reserves of the pair as (token, stablecoin); the stablecoin side, normalised to 6
    /// decimals, must hold at least minLiquidityUsd.
    function _reserves(PaymentMethod storage m) private view returns (uint256 tokenReserve, uint256 stableReserve) {
        (uint112 r0, uint112 r1,) = IUniswapV2PairReserves(m.pairAddress).getReserves();
        if (IUniswapV2PairReserves(m.pairAddress).token0() == m.tokenAddress) {
            (tokenReserve, stableReserve) = (r0, r1);
        } else {
            (tokenReserve, stableReserve) = (r1, r0);
        }
        uint256 normalised = m.stablecoinDecimals >= 6
            ? stableReserve / (10 ** (m.stablecoinDecimals - 6))
            : stableReserve * (10 ** (6 - m.stablecoinDecimals));
        if (tokenReserve == 0 || normalised < minLiquidityUsd) revert InsufficientLiquidity();
    }

    function _charge(uint256 planId, uint256 numDays, uint256 paymentMethodId)
        private
        returns (uint256 amount, address token)
    {
        PaymentMethod storage m = _requirePaymentMethod(paymentMethodId);
        if (!m.active) revert PaymentMethodNotActive(paymentMethodId);
        amount = calculatePayment(planId, numDays, paymentMethodId);
        token = m.tokenAddress;
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }
}
