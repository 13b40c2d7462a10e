/**
 * What the shop sells, and an order priced from it: the browser sends SKUs and quantities, never
 * prices. Pure; a real shop reads its catalogue from its own database.
 */
import { ValidationError } from '@clientele/core';

/** A product on sale: its category is what points rules and vouchers key on. */
export interface Product {
  sku: string;
  name: string;
  category: string;
  /** Price in fen. */
  price: number;
}

export const CATALOGUE: readonly Product[] = [
  { sku: 'TEA-LONGJING', name: 'Longjing green tea, 250 g', category: 'tea', price: 12800 },
  { sku: 'TEA-PUER', name: 'Pu-erh cake, 357 g', category: 'tea', price: 9800 },
  { sku: 'CUP-CELADON', name: 'Celadon tea cup', category: 'teaware', price: 4500 },
  { sku: 'POT-YIXING', name: 'Yixing clay teapot', category: 'teaware', price: 36000 },
  { sku: 'SNACK-MOONCAKE', name: 'Mooncakes, box of 4', category: 'snacks', price: 6800 },
];

/** One line of an order as the browser sends it. */
export interface OrderItem {
  sku: string;
  quantity: number;
}

/** A sale line, as `purchases.record` takes it. */
export interface SaleLine {
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unitPrice: number;
}

/** The order's sale lines and total, priced from the catalogue; an unknown SKU is refused with its path. */
export function priceOrder(items: readonly OrderItem[]): { lines: SaleLine[]; total: number } {
  const lines = items.map((item, i) => {
    const product = CATALOGUE.find((p) => p.sku === item.sku);
    if (!product)
      throw new ValidationError([
        { path: ['items', i, 'sku'], code: 'unknown_sku', message: `we do not sell ${item.sku}` },
      ]);
    return {
      sku: product.sku,
      name: product.name,
      category: product.category,
      quantity: item.quantity,
      unitPrice: product.price,
    };
  });
  return { lines, total: lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) };
}

/** What pays for an order, in fen, in the order it is taken: voucher, points, gift card, then the bank card. */
export interface Tenders {
  voucher: number;
  points: number;
  giftCard: number;
  /** What the shopper's bank card pays: the rest. */
  bankCard: number;
}

/**
 * Splits `total` across what the shopper offered (in fen): the voucher's discount, the points' value
 * and the gift card's available balance, each taking at most what is left. Points worth more than what is left
 * are refused (the shopper asks for fewer), rather than spent for nothing.
 */
export function splitPayment(total: number, offered: { voucher: number; points: number; giftCard: number }): Tenders {
  const voucher = Math.min(offered.voucher, total);
  if (offered.points > total - voucher)
    throw new ValidationError([
      {
        path: ['points'],
        code: 'too_many_points',
        message: `the points are worth ${offered.points} fen, the order leaves ${total - voucher} to pay`,
      },
    ]);
  const giftCard = Math.min(offered.giftCard, total - voucher - offered.points);
  return { voucher, points: offered.points, giftCard, bankCard: total - voucher - offered.points - giftCard };
}
